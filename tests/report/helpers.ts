import type { NamedRun, RunSeries } from '../../src/report/charts.ts';
import type { RunReport } from '../../src/report/html.ts';

/** One chart's SVG out of a page, by id. */
export function chartSvg(html: string, id: string): string {
  const i = html.indexOf(`<svg id="${id}"`);
  if (i < 0) throw new Error(`no chart #${id}`);
  return html.slice(i, html.indexOf('</svg>', i) + '</svg>'.length);
}

/** A line chart's y-axis ticks: each label and the y its grid line is drawn at. */
export function yTicks(svg: string): { label: string; y: number }[] {
  return [...svg.matchAll(/<line x1="[^"]+" x2="[^"]+" y1="([^"]+)" y2="[^"]+" class="grid"\/><text [^>]*class="tick">([^<]*)<\/text>/g)].map((m) => ({ y: Number(m[1]), label: m[2] }));
}

/** The vertices of a series' line, in drawing order. */
export function lineVertices(svg: string, series: string): [number, number][] {
  const m = svg.match(new RegExp(`<path d="([^"]*)"[^>]*class="series" data-series="${series}"`));
  if (!m) throw new Error(`no series ${series}`);
  return [...m[1].matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((v) => [Number(v[1]), Number(v[2])]);
}

/** How many times a pattern occurs. */
export function count(s: string, pattern: RegExp): number {
  return s.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/**
 * The series a MICRO run (1 layer: emb, layer 1, head) of n steps draws, made up: loss falling
 * with noise, Adam's constant lr 1e-3, norms with a spike at `spikeStep` in layer 1.
 */
export function microSeries(n: number, spikeStep = Math.floor(n / 2)): RunSeries {
  const steps = Array.from({ length: n }, (_, i) => i + 1);
  const noise = (i: number, k: number) => 0.5 + 0.5 * Math.sin(i * 0.37 + k * 1.3);
  return {
    steps,
    loss: steps.map((s) => 2.77 * (1 - (0.3 * s) / n) + 0.05 * noise(s, 0)),
    clip: steps.map(() => 1),
    lr: steps.map(() => 1e-3),
    gradGlobal: steps.map((s) => 0.5 + 0.2 * noise(s, 1)),
    perLayer: [0, 1, 2].map((l) => steps.map((s) => (l === 1 && s === spikeStep ? 40 : 0.1 * (l + 1) * (0.5 + noise(s, l + 2))))),
    layerNames: ['emb', 'layer 1', 'head'],
  };
}

export function microReport(series: RunSeries): RunReport {
  const run: NamedRun = { name: 'micro', color: '#1f77b4', series, clipMaxNorm: 0, anomalies: [] };
  return { scenario: 'micro', description: `micro · ${series.steps.length} steps (summary log)`, path: 'runs/micro.weft', run, anomaly: null };
}
