import { divergenceWhere, heldOutLines, type DiffResult } from '../diff/diff.ts';
import type { LogReader } from '../log/reader.ts';
import type { AnomalyRecord, ProbeRecord } from '../log/records.ts';
import { viewAs } from '../log/format.ts';
import { probeIndex } from '../engine/probe.ts';
import { LINK_FORMED, trackLink } from '../replay/track.ts';
import { completionTracks } from '../replay/completions.ts';
import { UsageError } from '../errors.ts';
import { attentionCell, gradHeatMap, logRange, overviewCharts, runColor, trackChart, type NamedRun } from './charts.ts';
import { describeRun, evalSeries, runSeries } from './series.ts';
import { esc, heatMap, lineChart } from './svg.ts';

export { runSeries };

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:760px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 6px}p.meta{color:#555;margin:0 0 12px}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 10px 2px 0;text-align:left}th{color:#555;font-weight:600}
.verdict{padding:8px 12px;border-radius:6px;background:#f3f6fa;border-left:4px solid #1f77b4}.verdict.differ{border-color:#d62728}
svg.chart{display:block;margin:6px 0 10px;background:#fff}svg .title{font-size:14px;font-weight:600}svg .tick{font-size:11px;fill:#555}
svg .label{font-size:12px;fill:#333}svg .legend{font-size:12px}svg .grid{stroke:#eee}svg .axis{stroke:#888}
svg .marker{stroke:#d62728;stroke-dasharray:4 3}svg .marker-label{font-size:11px;fill:#d62728}code{font-size:12px}
table.att{font-size:12px;margin:6px 0 16px}table.att td.w{width:30px;text-align:center;border:1px solid #eee}table.att th.col{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:500}table.att caption{text-align:left;color:#555;padding-bottom:4px}
table.says{font-size:12px;margin:0 0 12px}table.says caption{text-align:left;color:#555;padding-bottom:4px}`;

/** A self-contained report page: the reports' style (charts, tables), then `extra` style and an inline script of the page's own. */
export function htmlPage(title: string, body: string, extra: { style?: string; script?: string } = {}): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}${extra.style ? `\n${extra.style}` : ''}</style></head><body>${body}${extra.script ? `<script>${extra.script}</script>` : ''}</body></html>\n`;
}

function describe(log: LogReader): string {
  return esc(describeRun(log));
}

/** A run as one overlaid series among others. */
export function namedRun(log: LogReader, name: string, i: number): NamedRun {
  const run: NamedRun = { name, color: runColor(i), series: runSeries(log), clipMaxNorm: log.header.config.clip.maxNorm, anomalies: log.readAnomalies().map((a) => a.step) };
  const evals = evalSeries(log.readEvals());
  return evals ? { ...run, evals } : run;
}

/**
 * The attention section of a run with probes: per tracked link, the strongest heads' share of
 * attention over training, and where the strongest head looks at the last probed step.
 */
function attentionSection(log: LogReader): string {
  const p = log.header.config.probe;
  if (!p || !log.probeFrames.length || !p.links.length) return '';
  const parts = ['<h2>Attention: the tracked links</h2>'];
  // the last probes, read once: each link's strongest head is drawn from them
  const last = log.readRecord(log.probeFrames[log.probeFrames.length - 1]) as ProbeRecord;
  for (const link of p.links) {
    let t;
    try {
      t = trackLink(log, link);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      parts.push(`<p class="meta">${esc(link)}: ${esc(e.message)}</p>`);
      continue;
    }
    const [a, b] = link.split('->');
    parts.push(lineChart(trackChart(t)));
    const s = t.strongest;
    parts.push(`<p class="meta">${s.final > LINK_FORMED ? `strongest at the end: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)}); its link passed 0.5 first at step ${s.firstAbove}` : `no head ties them above 0.5 at the end; the strongest: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)})`}</p>`);
    // that head's whole grid at the last probed step
    const i = p.sentences.indexOf(t.sentence);
    const att = viewAs(last.attention[i], Float64Array);
    const T = t.words.length;
    const H = log.header.config.model.nHeads;
    const cell = (q: number, k: number) => {
      if (k > q) return '<td></td>';
      const w = att[probeIndex(T, H, s.layer, s.head, q, k)];
      const shade = attentionCell(w);
      return `<td class="w" style="background:${shade.background}${shade.color ? `;color:${shade.color}` : ''}" title="${esc(`${t.words[q]} → ${t.words[k]}: ${(w * 100).toFixed(2)}%`)}">${Math.round(w * 100)}</td>`;
    };
    parts.push(`<table class="att" id="grid-${a}-${b}"><caption>layer ${s.layer + 1}, head ${s.head + 1} after step ${last.step}: % of each word's attention on the words up to it</caption><tr><th></th>${t.words.map((w) => `<th class="col">${esc(w)}</th>`).join('')}</tr>${t.words.map((w, q) => `<tr><th>${q + 1} ${esc(w)}</th>${t.words.map((_, k) => cell(q, k)).join('')}</tr>`).join('')}</table>`);
  }
  return parts.join('\n');
}

/**
 * What the model says through training (config.probe.prompts): per prompt, its greedy
 * continuation at each probe step where it changed, beside that step's training loss.
 */
function completionSection(log: LogReader, run: NamedRun): string {
  if (!log.header.config.probe?.prompts?.length || !log.probeFrames.length) return '';
  const loss = new Map(run.series.steps.map((s, i) => [s, run.series.loss[i]]));
  const parts = ['<h2>What the model says</h2>'];
  for (const [i, t] of completionTracks(log).entries()) {
    const rows = t.steps.filter((s, j) => j === 0 || j === t.steps.length - 1 || s.continuation !== t.steps[j - 1].continuation).map((s) => {
      const l = loss.get(s.step);
      return `<tr><td>${s.step}</td><td>${l === undefined ? '–' : Number(l).toFixed(3)}</td><td><b>${esc(t.prompt)}</b> ${esc(s.continuation)}</td><td>${esc(s.top[0].word)} ${(s.top[0].probability * 100).toFixed(1)}%</td></tr>`;
    });
    parts.push(`<table class="says" id="says-${i}"><caption>greedy, ${t.steps[0].tokens.length} words, at the probe steps where they changed; the final words first at step ${t.firstFinalStep}</caption><tr><th>step</th><th>loss</th><th>completion</th><th>next word</th></tr>${rows.join('')}</table>`);
  }
  return parts.join('\n');
}

/** What a run's report draws: made from a log by runReportHtml, or from series alone (tests, benchmarks). */
export interface RunReport {
  scenario: string;
  /** the run in one line (series.ts describeRun) */
  description: string;
  path: string;
  run: NamedRun;
  /** the first NaN/Inf, if the run hit one */
  anomaly: AnomalyRecord | null;
}

/** The page of a run's report: loss, gradient norms per layer × step, global norm, lr, clip factor; then `sections` (HTML). */
export function runReportPage(r: RunReport, sections = '', afterLoss = ''): string {
  const a = r.anomaly;
  const [loss, ...others] = overviewCharts([r.run]);
  const accuracy = others.filter((c) => c.id === 'accuracy');
  const rest = others.filter((c) => c.id !== 'accuracy');
  const body = [
    `<h1>weft run report: ${esc(r.scenario)}</h1><p class="meta">${esc(r.description)}<br><code>${esc(r.path)}</code></p>`,
    a ? `<p class="verdict differ">stopped: NaN/Inf at step ${a.step} (${esc(a.stage)}${a.tensor ? `, ${esc(a.tensor)}` : ''})</p>` : '',
    lineChart(loss),
    afterLoss,
    ...accuracy.map(lineChart),
    heatMap(gradHeatMap('grad-heatmap', 'Gradient L2 norm per layer and step (log scale)', r.run.series)),
    ...rest.map(lineChart),
    sections,
  ];
  return htmlPage(`weft: ${r.scenario}`, body.join('\n'));
}

/** The report of one run: runReportPage, with the tracked links when probed. */
export function runReportHtml(log: LogReader): string {
  const run = namedRun(log, log.header.scenario, 0);
  const report = { scenario: log.header.scenario, description: describeRun(log), path: log.path, run, anomaly: log.readAnomalies()[0] ?? null };
  return runReportPage(report, attentionSection(log), completionSection(log, run));
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
  const ra = namedRun(a, 'a', 0);
  const rb = namedRun(b, 'b', 1);
  const [sa, sb] = [ra.series, rb.series];
  const d = r.firstDivergence;
  const mark = d ? d.step : null;
  const verdict = r.identical
    ? '<p class="verdict">identical: every compared number equal, bit for bit</p>'
    : d
      ? `<p class="verdict differ">first divergence at step ${d.step}, in the ${esc(d.stream)}: <code>${esc(divergenceWhere(d))}</code> (a ${esc(String(d.a))}, b ${esc(String(d.b))})<br>cause: ${esc(d.causes.join('; '))}</p>`
      : '<p class="verdict differ">the runs differ in length only</p>';
  const configRows = r.config.map((c) => `<tr><td><code>${esc(c.key)}</code></td><td>${esc(JSON.stringify(c.a))}</td><td>${esc(JSON.stringify(c.b))}</td></tr>`).join('');
  const range = logRange(sa.perLayer, sb.perLayer);
  const sameLayers = sa.layerNames.length === sb.layerNames.length;
  const [loss, ...others] = overviewCharts([ra, rb], mark !== null ? { step: mark, label: `diverge @ ${mark}` } : null);
  const accuracy = others.filter((c) => c.id === 'accuracy');
  const [gradGlobal, ...rest] = others.filter((c) => c.id !== 'accuracy');
  const body = [
    `<h1>weft diff</h1><p class="meta">a: ${describe(a)}<br>b: ${describe(b)}</p>`,
    verdict,
    r.heldOut ? `<p class="meta held-out">${heldOutLines(r.heldOut).map(esc).join('<br>')}</p>` : '',
    r.config.length ? `<h2>Config differences</h2><table><tr><th>key</th><th>a</th><th>b</th></tr>${configRows}</table>` : '',
    lineChart(loss),
    ...accuracy.map(lineChart),
    lineChart({ id: 'loss-diff', title: 'Loss difference b − a', xLabel: 'step', yLabel: 'Δ loss', markerX: mark, series: [{ name: 'b − a', color: '#2ca02c', points: r.steps.map((s) => [s.step, s.lossDiff] as [number, number]) }] }),
    lineChart(gradGlobal),
    heatMap(gradHeatMap('grad-heatmap-a', 'a: gradient L2 norm per layer and step', sa, sameLayers ? range : undefined)),
    heatMap(gradHeatMap('grad-heatmap-b', 'b: gradient L2 norm per layer and step', sb, sameLayers ? range : undefined)),
    r.steps.some((s) => s.layers?.some((l) => l.paramDist !== null))
      ? lineChart({ id: 'param-dist', title: 'Parameter distance ‖w_a − w_b‖ / ‖w_a‖ per layer', xLabel: 'step', yLabel: 'relative distance', logY: true, markerX: mark, series: layerSeries(r) })
      : '',
    ...rest.map(lineChart),
    r.notCompared.length ? `<h2>Not compared</h2><ul>${r.notCompared.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '',
  ];
  return htmlPage('weft diff', body.join('\n'));
}
