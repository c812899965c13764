import type { DiffResult } from '../diff/diff.ts';
import { layerName } from '../model/params.ts';
import type { LogReader } from '../log/reader.ts';
import { stepView } from '../log/steps.ts';
import { esc, heatMap, lineChart } from './svg.ts';

interface RunSeries {
  steps: number[];
  loss: number[];
  clip: number[];
  lr: number[];
  gradGlobal: number[];
  /** perLayer[layer][i] */
  perLayer: number[][];
  layerNames: string[];
}

/** Reads the scalars of every step (arrays are not decoded). */
export function runSeries(log: LogReader): RunSeries {
  const L = log.header.config.model.nLayers;
  const layerNames = Array.from({ length: L + 2 }, (_, l) => layerName(l, L));
  const s: RunSeries = { steps: [], loss: [], clip: [], lr: [], gradGlobal: [], perLayer: layerNames.map(() => []), layerNames };
  for (const n of log.stepNumbers) {
    const v = stepView(log.readStep(n));
    s.steps.push(n);
    s.loss.push(v.loss);
    s.clip.push(v.clipFactor);
    s.lr.push(v.lr);
    s.gradGlobal.push(v.gradNormGlobal);
    v.gradNormPerLayer.forEach((g, l) => s.perLayer[l].push(g));
  }
  return s;
}

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:760px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 6px}p.meta{color:#555;margin:0 0 12px}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 10px 2px 0;text-align:left}th{color:#555;font-weight:600}
.verdict{padding:8px 12px;border-radius:6px;background:#f3f6fa;border-left:4px solid #1f77b4}.verdict.differ{border-color:#d62728}
svg.chart{display:block;margin:6px 0 10px;background:#fff}svg .title{font-size:14px;font-weight:600}svg .tick{font-size:11px;fill:#555}
svg .label{font-size:12px;fill:#333}svg .legend{font-size:12px}svg .grid{stroke:#eee}svg .axis{stroke:#888}
svg .marker{stroke:#d62728;stroke-dasharray:4 3}svg .marker-label{font-size:11px;fill:#d62728}code{font-size:12px}`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}

function describe(log: LogReader): string {
  const c = log.header.config;
  const m = c.model;
  return `${esc(log.header.scenario)} · ${m.nLayers} layers, d ${m.dModel}, ${m.nHeads} heads${m.residual ? '' : ', no residuals'}${m.layerNorm ? '' : ', no layer norm'}, ${esc(m.activation)} · ${esc(c.optim.kind)} lr ${c.optim.lr}${c.clip.maxNorm > 0 ? ` · clip ${c.clip.maxNorm}` : ''} · dropout ${m.dropout} · seed ${c.seed} · ${log.stepNumbers.length} steps (${esc(log.header.mode)} log)`;
}

function zip(xs: number[], ys: number[]): [number, number][] {
  return xs.map((x, i) => [x, ys[i]]);
}

function logRange(...maps: number[][][]): [number, number] {
  const v = maps.flat(2).filter((x) => Number.isFinite(x) && x > 0).map(Math.log10);
  return v.length ? [Math.floor(Math.min(...v)), Math.ceil(Math.max(...v))] : [0, 1];
}

/** The report of one run: loss, gradient norms per layer × step, clip factor. */
export function runReportHtml(log: LogReader): string {
  const s = runSeries(log);
  const anomalies = log.readAnomalies();
  const body = [
    `<h1>weft run report: ${esc(log.header.scenario)}</h1><p class="meta">${describe(log)}<br><code>${esc(log.path)}</code></p>`,
    anomalies.length ? `<p class="verdict differ">stopped: NaN/Inf at step ${anomalies[0].step} (${esc(anomalies[0].stage)}${anomalies[0].tensor ? `, ${esc(anomalies[0].tensor)}` : ''})</p>` : '',
    lineChart({ id: 'loss', title: 'Loss (mean cross-entropy)', xLabel: 'step', yLabel: 'loss', logY: 'auto', series: [{ name: 'loss', color: '#1f77b4', points: zip(s.steps, s.loss) }] }),
    heatMap({ id: 'grad-heatmap', title: 'Gradient L2 norm per layer and step (log scale)', rows: s.layerNames, cols: s.steps, values: s.perLayer }),
    lineChart({ id: 'grad-global', title: 'Global gradient L2 norm (before clipping)', xLabel: 'step', yLabel: 'norm', logY: true, series: [{ name: 'global norm', color: '#9467bd', points: zip(s.steps, s.gradGlobal) }] }),
    lineChart({ id: 'lr', title: 'Learning rate', xLabel: 'step', yLabel: 'lr', series: [{ name: 'lr', color: '#8c564b', points: zip(s.steps, s.lr) }] }),
    // without clipping the factor is 1 at every step: no panel
    log.header.config.clip.maxNorm > 0
      ? lineChart({ id: 'clip', title: `Clip factor (1 = not clipped; max norm ${log.header.config.clip.maxNorm})`, xLabel: 'step', yLabel: 'factor', series: [{ name: 'clip factor', color: '#ff7f0e', points: zip(s.steps, s.clip) }] })
      : '',
  ];
  return page(`weft: ${log.header.scenario}`, body.join('\n'));
}

/** One series per layer group (emb, layer 1…L, head), colours spread around the hue circle. */
function layerSeries(r: DiffResult) {
  const layers = r.steps.find((s) => s.layers)?.layers ?? [];
  return layers.map((l, i) => ({
    name: l.layer,
    color: `hsl(${Math.round((i * 360) / layers.length)},65%,${i % 2 ? 38 : 50}%)`,
    points: r.steps.map((s) => [s.step, s.layers?.[i].paramDistRel ?? NaN] as [number, number]),
  }));
}

/** The report of a diff: both runs overlaid, the divergence marked, config differences. */
export function diffReportHtml(a: LogReader, b: LogReader, r: DiffResult): string {
  const sa = runSeries(a);
  const sb = runSeries(b);
  const d = r.firstDivergence;
  const mark = d ? d.step : null;
  const verdict = r.identical
    ? '<p class="verdict">identical: every compared number equal, bit for bit</p>'
    : d
      ? `<p class="verdict differ">first divergence at step ${d.step}, in the ${esc(d.stream)}: <code>${esc(d.field)}${d.tensor ? ` ${esc(d.tensor)}` : ''}${d.index !== null ? `[${d.index}]` : ''}</code> (a ${esc(String(d.a))}, b ${esc(String(d.b))})<br>cause: ${esc(d.causes.join('; '))}</p>`
      : '<p class="verdict differ">the runs differ in length only</p>';
  const configRows = r.config.map((c) => `<tr><td><code>${esc(c.key)}</code></td><td>${esc(JSON.stringify(c.a))}</td><td>${esc(JSON.stringify(c.b))}</td></tr>`).join('');
  const range = logRange(sa.perLayer, sb.perLayer);
  const sameLayers = sa.layerNames.length === sb.layerNames.length;
  const body = [
    `<h1>weft diff</h1><p class="meta">a: ${describe(a)}<br>b: ${describe(b)}</p>`,
    verdict,
    r.config.length ? `<h2>Config differences</h2><table><tr><th>key</th><th>a</th><th>b</th></tr>${configRows}</table>` : '',
    lineChart({ id: 'loss', title: 'Loss, both runs', xLabel: 'step', yLabel: 'loss', logY: 'auto', markerX: mark, markerLabel: mark !== null ? `diverge @ ${mark}` : '', series: [{ name: 'a', color: '#1f77b4', points: zip(sa.steps, sa.loss) }, { name: 'b', color: '#d62728', points: zip(sb.steps, sb.loss) }] }),
    lineChart({ id: 'loss-diff', title: 'Loss difference b − a', xLabel: 'step', yLabel: 'Δ loss', markerX: mark, series: [{ name: 'b − a', color: '#2ca02c', points: r.steps.map((s) => [s.step, s.lossDiff] as [number, number]) }] }),
    lineChart({ id: 'grad-global', title: 'Global gradient L2 norm, both runs', xLabel: 'step', yLabel: 'norm', logY: true, markerX: mark, series: [{ name: 'a', color: '#1f77b4', points: zip(sa.steps, sa.gradGlobal) }, { name: 'b', color: '#d62728', points: zip(sb.steps, sb.gradGlobal) }] }),
    heatMap({ id: 'grad-heatmap-a', title: 'a: gradient L2 norm per layer and step', rows: sa.layerNames, cols: sa.steps, values: sa.perLayer, range: sameLayers ? range : undefined }),
    heatMap({ id: 'grad-heatmap-b', title: 'b: gradient L2 norm per layer and step', rows: sb.layerNames, cols: sb.steps, values: sb.perLayer, range: sameLayers ? range : undefined }),
    r.steps.some((s) => s.layers?.some((l) => l.paramDist !== null))
      ? lineChart({ id: 'param-dist', title: 'Parameter distance ‖w_a − w_b‖ / ‖w_a‖ per layer', xLabel: 'step', yLabel: 'relative distance', logY: true, markerX: mark, series: layerSeries(r) })
      : '',
    lineChart({ id: 'lr', title: 'Learning rate, both runs', xLabel: 'step', yLabel: 'lr', logY: 'auto', markerX: mark, series: [{ name: 'a', color: '#1f77b4', points: zip(sa.steps, sa.lr) }, { name: 'b', color: '#d62728', points: zip(sb.steps, sb.lr) }] }),
    a.header.config.clip.maxNorm > 0 || b.header.config.clip.maxNorm > 0
      ? lineChart({ id: 'clip', title: 'Clip factor, both runs', xLabel: 'step', yLabel: 'factor', markerX: mark, series: [{ name: 'a', color: '#1f77b4', points: zip(sa.steps, sa.clip) }, { name: 'b', color: '#d62728', points: zip(sb.steps, sb.clip) }] })
      : '',
    r.notCompared.length ? `<h2>Not compared</h2><ul>${r.notCompared.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '',
  ];
  return page('weft diff', body.join('\n'));
}
