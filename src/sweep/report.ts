import { join } from 'node:path';
import { UsageError, WeftError } from '../errors.ts';
import { openLog } from '../log/reader.ts';
import { runColor, type LineChartSpec, type Series } from '../report/charts.ts';
import { readSeries } from '../report/series.ts';
import { esc, lineChart } from '../report/svg.ts';
import { htmlPage } from '../report/html.ts';
import { jsonNumber } from '../json.ts';
import { readManifest, type ManifestRun, type SweepManifest } from './manifest.ts';

/** Median, low and high of the finite values (null when there are none). */
export function spread(xs: number[]): { median: number; lo: number; hi: number } | null {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return { median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, lo: v[0], hi: v[v.length - 1] };
}

export interface SweepGroup {
  /** the grid settings, as `key=value` (seed excluded): "all runs" when the sweep varies only the seed */
  name: string;
  settings: Record<string, number | string | boolean>;
  runs: string[];
  seeds: number[];
  /** per step across the group's seeds (only the runs that reached the step) */
  loss: { step: number; median: number; lo: number; hi: number; runs: number }[];
  /** the final step's gradient L2 norm per layer group, across seeds */
  finalGradNorm: { layer: string; median: number; lo: number; hi: number }[];
  diverged: number;
  failed: number;
  /** the last evaluation's held-out loss, across the seeds whose runs have evaluations (absent: none has) */
  heldOutLoss?: { median: number; lo: number; hi: number; runs: number };
}

export interface SweepReportData {
  sweepId: string;
  scenario: string;
  gridKeys: string[];
  seeds: number[];
  groups: SweepGroup[];
  /** runs stopped by NaN/Inf: which setting, which seed, at which step */
  divergences: { run: string; group: string; seed: number; step: number; stage: string; tensor: string | null }[];
  runs: (ManifestRun & { curve: { steps: number[]; loss: number[] } | null; problem: string | null; finalHeldOutLoss?: number })[];
  /** present when runs have evaluations: the groups are in this order, lowest median first */
  rankedBy?: 'final held-out loss';
}

/**
 * Settings with a final held-out loss first, lowest median first (ties and the rest as they
 * were): the question a sweep of runs with evaluations asks is which setting generalizes best.
 */
export function rankByHeldOut(groups: SweepGroup[]): SweepGroup[] {
  const key = (g: SweepGroup) => g.heldOutLoss?.median ?? Infinity;
  return groups.map((g, i) => ({ g, i })).sort((x, y) => key(x.g) - key(y.g) || x.i - y.i).map((x) => x.g);
}

function groupName(settings: Record<string, number | string | boolean>): string {
  const keys = Object.keys(settings).filter((k) => k !== 'seed').sort();
  return keys.length ? keys.map((k) => `${k}=${settings[k]}`).join(', ') : 'all runs';
}

/**
 * Per step, the spread of the loss across the runs that reached it. Each run's steps go into a map
 * once, so the work is the points read plus one look-up per step and run (a search of each run's
 * steps for every step would grow with the square of the steps).
 */
export function lossAcrossRuns(curves: { steps: number[]; loss: number[] }[]): SweepGroup['loss'] {
  const byStep = curves.map((c) => {
    const m = new Map<number, number>();
    for (let k = 0; k < c.steps.length; k++) if (!m.has(c.steps[k])) m.set(c.steps[k], c.loss[k]);
    return m;
  });
  const steps = [...new Set(byStep.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return steps.flatMap((step) => {
    const xs = byStep.flatMap((m) => (m.has(step) ? [m.get(step)!] : []));
    const s = spread(xs);
    return s ? [{ step, ...s, runs: xs.length }] : [];
  });
}

/** Reads a sweep's folder — its manifest and every log in it — into the report's numbers. */
export function sweepReportData(dir: string): SweepReportData {
  const m: SweepManifest | null = readManifest(dir);
  if (!m) throw new UsageError(`${dir}: no sweep.json (run weft sweep … --out ${dir} first)`);
  const runs: SweepReportData['runs'] = [];
  const finals = new Map<string, number[]>();
  let layers: string[] = [];
  for (const r of m.runs) {
    let curve = null;
    let problem = null;
    let heldOut: number | null = null;
    if (r.status !== 'pending') {
      try {
        const log = openLog(join(dir, r.log));
        try {
          const { series, damage } = readSeries(log);
          curve = { steps: series.steps, loss: series.loss };
          if (damage) problem = (damage as Error).message;
          layers = series.layerNames;
          // the last step's per-layer norms, as the series read them
          if (series.steps.length) finals.set(r.id, series.perLayer.map((row) => row[row.length - 1]));
          const evals = log.readEvals();
          if (evals.length) heldOut = evals[evals.length - 1].heldOut.loss;
        } finally {
          log.close();
        }
      } catch (e) {
        if (!(e instanceof WeftError)) throw e;
        problem = e.message;
      }
    }
    runs.push({ ...r, curve, problem, ...(heldOut !== null ? { finalHeldOutLoss: heldOut } : {}) });
  }
  const byGroup = new Map<string, typeof runs>();
  for (const r of runs) {
    const g = groupName(r.settings);
    const rs = byGroup.get(g);
    if (rs) rs.push(r);
    else byGroup.set(g, [r]);
  }
  const groups: SweepGroup[] = [...byGroup].map(([name, rs]) => {
    const loss = lossAcrossRuns(rs.flatMap((r) => (r.curve ? [r.curve] : [])));
    const finalGradNorm = layers.flatMap((layer, l) => {
      const s = spread(rs.flatMap((r) => (finals.has(r.id) ? [finals.get(r.id)![l]] : [])));
      return s ? [{ layer, ...s }] : [];
    });
    const settings = Object.fromEntries(Object.entries(rs[0].settings).filter(([k]) => k !== 'seed'));
    const heldOuts = rs.flatMap((r) => (r.finalHeldOutLoss !== undefined ? [r.finalHeldOutLoss] : []));
    const h = spread(heldOuts);
    const heldOutLoss = h ? { heldOutLoss: { ...h, runs: heldOuts.filter(Number.isFinite).length } } : {};
    return { name, settings, runs: rs.map((r) => r.id), seeds: rs.map((r) => Number(r.settings.seed)), loss, finalGradNorm, diverged: rs.filter((r) => r.status === 'diverged').length, failed: rs.filter((r) => r.status === 'failed').length, ...heldOutLoss };
  });
  const evaluated = groups.some((g) => g.heldOutLoss);
  const divergences = runs.filter((r) => r.anomaly).map((r) => ({ run: r.id, group: groupName(r.settings), seed: Number(r.settings.seed), step: r.anomaly!.step, stage: r.anomaly!.stage, tensor: r.anomaly!.tensor }));
  return { sweepId: m.sweepId, scenario: m.scenario, gridKeys: m.grid.map((g) => g.key), seeds: m.seeds, groups: evaluated ? rankByHeldOut(groups) : groups, divergences, runs, ...(evaluated ? { rankedBy: 'final held-out loss' as const } : {}) };
}

/** The report's numbers as JSON (non-finite values as strings; the loss curves left out). */
export function sweepReportJson(d: SweepReportData): unknown {
  return JSON.parse(JSON.stringify({ ...d, runs: d.runs.map(({ curve: _c, ...r }) => r) }, (_k, v) => (typeof v === 'number' ? jsonNumber(v) : v)));
}

// on top of the reports' style (report/html.ts): a wider page, and the runs table's sorting and colours
const STYLE = `body{max-width:980px;padding:0 12px}table{font-size:12px}
table.runs th{cursor:pointer;user-select:none}table.runs th[aria-sort=ascending]::after{content:' ▲'}table.runs th[aria-sort=descending]::after{content:' ▼'}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.diverged td{color:#d62728}tr.failed td{color:#8c564b}`;

// sorts the runs table by the clicked column: numbers as numbers, the rest as text
const SORT_SCRIPT = `document.querySelectorAll('table.runs th').forEach((th, col) => th.addEventListener('click', () => {
  const table = th.closest('table'); const body = table.tBodies[0];
  const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
  table.querySelectorAll('th').forEach((h) => h.removeAttribute('aria-sort'));
  th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
  const key = (tr) => { const v = tr.cells[col].dataset.value ?? tr.cells[col].textContent; const n = Number(v); return v !== '' && !Number.isNaN(n) ? n : v; };
  [...body.rows].sort((a, b) => { const x = key(a), y = key(b); return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir; }).forEach((r) => body.append(r));
}));`;

/** One self-contained page: loss by setting (median and spread across seeds, every run faint), the final gradient-norm profile, divergences, a sortable table. */
export function sweepReportHtml(d: SweepReportData): string {
  const runById = new Map(d.runs.map((r) => [r.id, r]));
  const lossSeries: Series[] = d.groups.flatMap((g, i) => [
    ...g.runs.flatMap((id) => {
      const r = runById.get(id)!;
      return r.curve ? [{ name: id, color: runColor(i), faint: true, unlisted: true, points: r.curve.steps.map((s, k) => [s, r.curve!.loss[k]] as [number, number]) }] : [];
    }),
    { name: g.name, color: runColor(i), points: g.loss.map((p) => [p.step, p.median] as [number, number]), band: g.loss.map((p) => [p.step, p.lo, p.hi] as [number, number, number]) },
  ]);
  const lossChart: LineChartSpec = { id: 'sweep-loss', title: `Loss by setting: median across ${d.seeds.length} seed${d.seeds.length === 1 ? '' : 's'}, band min…max, each run faint`, xLabel: 'step', yLabel: 'loss', logY: 'auto', series: lossSeries, anomalies: d.divergences.map((x) => x.step) };
  const layers = d.groups[0]?.finalGradNorm.map((f) => f.layer) ?? [];
  const profile: LineChartSpec = {
    id: 'sweep-profile', title: 'Final gradient L2 norm per layer group (0 = emb, last = head): median, band min…max', xLabel: 'layer group', yLabel: 'norm', logY: true,
    series: d.groups.map((g, i) => ({ name: g.name, color: runColor(i), points: g.finalGradNorm.map((f, l) => [l, f.median] as [number, number]), band: g.finalGradNorm.map((f, l) => [l, f.lo, f.hi] as [number, number, number]) })),
  };
  const cell = (v: unknown, num = false) => `<td${num ? ' class="num"' : ''} data-value="${esc(String(v ?? ''))}">${esc(v === null || v === undefined ? '–' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v))}</td>`;
  // runs with evaluations: their final held-out loss beside the final loss, and the settings ranked by it
  const ranked = d.rankedBy !== undefined;
  const heldOutCell = (r: SweepReportData['runs'][number]) => (ranked ? cell(r.finalHeldOutLoss ?? null, r.finalHeldOutLoss !== undefined) : '');
  const rows = d.runs.map((r) => `<tr class="${r.status}" data-run="${esc(r.id)}">${cell(r.id)}${d.gridKeys.map((k) => cell(r.settings[k], typeof r.settings[k] === 'number')).join('')}${cell(r.settings.seed, true)}${cell(r.status)}${cell(r.steps, true)}${cell(typeof r.finalLoss === 'string' ? r.finalLoss : r.finalLoss, typeof r.finalLoss === 'number')}${heldOutCell(r)}${cell(r.anomaly?.step ?? null, true)}${cell(r.stateHash ? r.stateHash.slice(0, 12) : null)}</tr>`).join('');
  const head = ['run', ...d.gridKeys, 'seed', 'status', 'steps', 'final loss', ...(ranked ? ['final held-out loss'] : []), 'NaN/Inf at step', 'state hash'].map((h) => `<th>${esc(h)}</th>`).join('');
  const heldOutHead = ranked ? '<th>rank</th><th>final held-out loss (median)</th><th>min…max</th>' : '';
  const heldOutCells = (g: SweepGroup, i: number) => {
    if (!ranked) return '';
    const h = g.heldOutLoss;
    return `<td class="num">${h ? i + 1 : '–'}</td><td class="num">${h ? Number(h.median.toPrecision(6)) : '–'}</td><td class="num">${h ? `${Number(h.lo.toPrecision(4))}…${Number(h.hi.toPrecision(4))}` : '–'}</td>`;
  };
  const groupsTable = `${ranked ? '<p class="meta ranking">settings ranked by their final held-out loss (the last evaluation, median across seeds), lowest first</p>' : ''}<table class="groups"><tr><th>setting</th><th>seeds</th>${heldOutHead}<th>final loss (median)</th><th>min…max</th><th>diverged</th><th>failed</th></tr>${d.groups.map((g, i) => {
    const f = g.loss[g.loss.length - 1];
    return `<tr><td>${esc(g.name)}</td><td class="num">${g.seeds.length}</td>${heldOutCells(g, i)}<td class="num">${f ? Number(f.median.toPrecision(6)) : '–'}</td><td class="num">${f ? `${Number(f.lo.toPrecision(4))}…${Number(f.hi.toPrecision(4))}` : '–'}</td><td class="num">${g.diverged}</td><td class="num">${g.failed}</td></tr>`;
  }).join('')}</table>`;
  const diverged = d.divergences.length
    ? `<ul class="divergences">${d.divergences.map((x) => `<li><b>${esc(x.group)}</b>, seed ${x.seed}: NaN/Inf at step ${x.step} (${esc(x.stage)}${x.tensor ? `, ${esc(x.tensor)}` : ''})</li>`).join('')}</ul>`
    : '<p class="divergences">no run diverged</p>';
  const body = [
    `<h1>weft sweep: ${esc(d.scenario)}</h1><p class="meta">${d.runs.length} runs · seeds ${esc(d.seeds.join(', '))}${d.gridKeys.length ? ` · varying ${esc(d.gridKeys.join(', '))}` : ''} · sweep ${esc(d.sweepId)}</p>`,
    groupsTable,
    '<h2>Diverged</h2>', diverged,
    lineChart(lossChart),
    layers.length ? lineChart(profile) : '',
    '<h2>Runs</h2><p class="meta">click a column to sort</p>',
    `<table class="runs"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`,
  ];
  return htmlPage(`weft sweep: ${d.scenario}`, body.join('\n'), { style: STYLE, script: SORT_SCRIPT });
}

