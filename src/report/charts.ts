/**
 * What the charts of a run show — series, colours, titles, scales — apart from how they are
 * drawn. The static report renders these specs as SVG (svg.ts), the viewer as uPlot charts and
 * canvas heat maps (view/client); so both show the same thing the same way. No DOM, no Node: the
 * viewer's page bundles this file.
 */

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** a thinner, lighter line (a smoothed copy of another series, one run of many) */
  faint?: boolean;
  /** not named in the legend (one run among many drawn alike) */
  unlisted?: boolean;
  /** a shaded band around the line: [x, low, high] (the spread across seeds) */
  band?: [number, number, number][];
  /** measured at some steps only (evaluations): its points are joined across the steps between, each marked */
  sparse?: boolean;
  /** a dashed line (a run's held-out curve beside its step loss, runs overlaid) */
  dashed?: boolean;
}

export interface LineChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** log10 y axis; 'auto': when every value is positive and they span two decades or more */
  logY?: boolean | 'auto';
  /** vertical marker (the divergence step) */
  markerX?: number | null;
  markerLabel?: string;
  /** steps where a run hit NaN/Inf, marked on the x axis */
  anomalies?: number[];
}

export interface HeatMapSpec {
  id: string;
  title: string;
  rows: string[];
  cols: number[];
  /** values[row][col]; coloured by log10, non-finite cells in red */
  values: number[][];
  /** shared log10 range, so two maps can be compared */
  range?: [number, number];
}

/** The per-step scalars of a run, as charts take them (report/series.ts reads them from a log). */
export interface RunSeries {
  steps: number[];
  loss: number[];
  clip: number[];
  lr: number[];
  gradGlobal: number[];
  /** perLayer[layer][i]: gradient L2 norm of a layer group before clipping */
  perLayer: number[][];
  layerNames: string[];
}

/** A run's held-out evaluations (eval records), as charts take them (report/series.ts reads them from a log). */
export interface EvalSeries {
  steps: number[];
  heldOutLoss: number[];
  trainLoss: number[];
  /** null: the task has no one answer to be right about */
  heldOutAccuracy: number[] | null;
  trainAccuracy: number[] | null;
}

/** A run on an overlaid chart: its series, the name and colour it is drawn in. */
export interface NamedRun {
  name: string;
  color: string;
  series: RunSeries;
  clipMaxNorm: number;
  anomalies: number[];
  /** its evaluations; absent or null without config.eval */
  evals?: EvalSeries | null;
}

/** The held-out and train-split colours of one run's evaluation curves (red and green, beside the step loss' blue). */
export const HELD_OUT_COLOR = '#d62728';
export const TRAIN_SPLIT_COLOR = '#2ca02c';

/** Colours of overlaid runs (a, b, c, …). */
export const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

export function runColor(i: number): string {
  return RUN_COLORS[i % RUN_COLORS.length];
}

/** Exponential moving average with bias correction (TensorBoard's smoothing), non-finite values skipped. */
export function smoothed(values: number[], weight = 0.9): number[] {
  let avg = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return NaN;
    avg = weight * avg + (1 - weight) * v;
    n++;
    return avg / (1 - weight ** n);
  });
}

function zip(xs: number[], ys: number[]): [number, number][] {
  return xs.map((x, i) => [x, ys[i]]);
}

/** Whether a chart takes a log10 y axis. */
export function wantsLog(c: Pick<LineChartSpec, 'logY' | 'series'>): boolean {
  if (c.logY !== 'auto') return Boolean(c.logY);
  // one pass, no spread into Math.min/max (a long run has 10^5 points and more)
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of c.series) for (const [, y] of s.points) {
    if (!Number.isFinite(y)) continue;
    if (y <= 0) return false;
    if (y < lo) lo = y;
    if (y > hi) hi = y;
  }
  return hi >= lo && hi / lo >= 100;
}

/**
 * A run's evaluation curves on a chart: one run, its held-out and train-split curves; runs
 * overlaid, each one's held-out curve dashed in its colour (its train split left out: two lines a
 * run, beside its step loss, would be more than a chart of several runs can tell apart).
 */
function evalCurves(r: NamedRun, one: boolean, heldOut: number[], train: number[], what: string): Series[] {
  const e = r.evals!;
  if (!one) return [{ name: `${r.name} held-out`, color: r.color, dashed: true, sparse: true, points: zip(e.steps, heldOut) }];
  // `what` names the curves beside the step loss; on a chart of its own (accuracy) the title does
  return [
    { name: what ? `held-out ${what}` : 'held-out', color: HELD_OUT_COLOR, sparse: true, points: zip(e.steps, heldOut) },
    { name: what ? `train-split ${what}` : 'train split', color: TRAIN_SPLIT_COLOR, sparse: true, points: zip(e.steps, train) },
  ];
}

/**
 * The overview of one run or several overlaid: loss (one run: with a smoothed line; with the
 * held-out and train-split loss of its evaluations), the accuracy of its evaluations (a task with
 * one answer), global gradient norm, learning rate, clip factor (only when some run clips: else a
 * flat line at 1). A run without evaluations draws what it drew before them.
 */
export function overviewCharts(runs: NamedRun[], marker: { step: number; label: string } | null = null): LineChartSpec[] {
  const one = runs.length === 1;
  const color = (r: NamedRun, c: string) => (one ? c : r.color);
  const mark = { markerX: marker?.step ?? null, markerLabel: marker?.label ?? '', anomalies: [...new Set(runs.flatMap((r) => r.anomalies))].sort((a, b) => a - b) };
  const both = one ? '' : runs.length === 2 ? ', both runs' : ', all runs';
  const evaluated = runs.filter((r) => r.evals?.steps.length);
  const withAccuracy = evaluated.filter((r) => r.evals!.heldOutAccuracy && r.evals!.trainAccuracy);
  const charts: LineChartSpec[] = [
    {
      id: 'loss', title: evaluated.length ? `Loss (mean cross-entropy): training batches and evaluations${both}` : `Loss (mean cross-entropy)${both}`, xLabel: 'step', yLabel: 'loss', logY: 'auto', ...mark,
      series: runs.flatMap((r) => [
        { name: one ? 'loss' : r.name, color: color(r, '#1f77b4'), points: zip(r.series.steps, r.series.loss) },
        ...(one ? [{ name: 'smoothed', color: '#ff7f0e', faint: true, points: zip(r.series.steps, smoothed(r.series.loss)) }] : []),
        ...(r.evals?.steps.length ? evalCurves(r, one, r.evals.heldOutLoss, r.evals.trainLoss, 'loss') : []),
      ]),
    },
    ...(withAccuracy.length ? [{
      id: 'accuracy', title: `Accuracy of the evaluations (share of answers right)${both}`, xLabel: 'step', yLabel: 'accuracy', ...mark,
      series: withAccuracy.flatMap((r) => evalCurves(r, one, r.evals!.heldOutAccuracy!, r.evals!.trainAccuracy!, '')),
    }] : []),
    {
      id: 'grad-global', title: `Global gradient L2 norm (before clipping)${both}`, xLabel: 'step', yLabel: 'norm', logY: true, ...mark,
      series: runs.map((r) => ({ name: one ? 'global norm' : r.name, color: color(r, '#9467bd'), points: zip(r.series.steps, r.series.gradGlobal) })),
    },
    {
      id: 'lr', title: `Learning rate${both}`, xLabel: 'step', yLabel: 'lr', logY: 'auto', ...mark,
      series: runs.map((r) => ({ name: one ? 'lr' : r.name, color: color(r, '#8c564b'), points: zip(r.series.steps, r.series.lr) })),
    },
  ];
  const clipping = runs.filter((r) => r.clipMaxNorm > 0);
  if (clipping.length) {
    charts.push({
      id: 'clip', title: one ? `Clip factor (1 = not clipped; max norm ${clipping[0].clipMaxNorm})` : `Clip factor${both} (1 = not clipped)`, xLabel: 'step', yLabel: 'factor', ...mark,
      series: runs.map((r) => ({ name: one ? 'clip factor' : r.name, color: color(r, '#ff7f0e'), points: zip(r.series.steps, r.series.clip) })),
    });
  }
  return charts;
}

/** Viridis-like ramp from dark blue (low) to yellow (high), t in 0…1. */
export function heatColor(t: number): [number, number, number] {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const u = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return [c[0], c[1], c[2]];
}

/** The colour of a non-finite cell. */
export const NON_FINITE_COLOR: [number, number, number] = [214, 39, 40];

/** The whole decades that hold every positive finite value of the maps (log10 colour scale). */
export function logRange(...maps: number[][][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of maps) for (const row of m) for (const v of row) {
    if (!(Number.isFinite(v) && v > 0)) continue;
    const l = Math.log10(v);
    if (l < lo) lo = l;
    if (l > hi) hi = l;
  }
  if (lo > hi) return [0, 1];
  const r: [number, number] = [Math.floor(lo), Math.ceil(hi)];
  return r[1] > r[0] ? r : [r[0], r[0] + 1];
}

/** A cell's colour on a log10 range: zero at the bottom, non-finite in red. */
export function heatCellColor(v: number, range: [number, number]): [number, number, number] {
  if (!Number.isFinite(v)) return NON_FINITE_COLOR;
  return v > 0 ? heatColor((Math.log10(v) - range[0]) / Math.max(1e-9, range[1] - range[0])) : heatColor(0);
}

/** The layer × step gradient-norm heat map of a run. */
export function gradHeatMap(id: string, title: string, s: RunSeries, range?: [number, number]): HeatMapSpec {
  return { id, title, rows: s.layerNames, cols: s.steps, values: s.perLayer, range };
}

/** A tracked link as charts take it (replay/track.ts makes them from a log). */
export interface TrackedLink {
  link: string;
  steps: number[];
  heads: { layer: number; head: number; series: number[]; final: number }[];
}

/** How many heads a tracked link's chart draws: the strongest at the end. */
export const TRACKED_HEADS = 5;

/** Heads through training: the TRACKED_HEADS highest at the end, a line each, named L·H from 1. */
function headsChart(id: string, title: string, yLabel: string, t: Pick<TrackedLink, 'steps' | 'heads'>): LineChartSpec {
  const top = [...t.heads].sort((x, y) => y.final - x.final).slice(0, TRACKED_HEADS);
  return {
    id, title, xLabel: 'step', yLabel, markerX: null,
    series: top.map((h, i) => ({ name: `L${h.layer + 1} H${h.head + 1}`, color: runColor(i), points: t.steps.map((s, k) => [s, h.series[k]] as [number, number]) })),
  };
}

/** A link over training: the share of attention of the heads that tie it most at the end. */
export function trackChart(t: TrackedLink): LineChartSpec {
  const [a, b] = t.link.split('->');
  return headsChart(`track-${a}-${b}`, `"${a}" → "${b}": share of attention, the ${TRACKED_HEADS} strongest heads at the end`, 'attention', t);
}

/** A named pattern over training (replay/track.ts's PatternTrack), as charts take it. */
export interface TrackedPattern {
  pattern: string;
  steps: number[];
  heads: { layer: number; head: number; series: number[]; final: number }[];
}

/** A head pattern over training: the score of the heads that follow it most at the end. */
export function patternChart(t: TrackedPattern): LineChartSpec {
  return headsChart(`pattern-${t.pattern}`, `${t.pattern} score, the ${TRACKED_HEADS} highest heads at the end`, 'score', t);
}

/** An attention grid cell's shading for a share w of attention: one scale for every row and head (white text on the dark half). */
export function attentionCell(w: number): { background: string; color: string | null } {
  return { background: `rgba(31,119,180,${w.toFixed(3)})`, color: w > 0.5 ? '#fff' : null };
}
