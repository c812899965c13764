import { describe, expect, it } from 'vitest';
import { heatCellColor, logRange, overviewCharts, wantsLog, type LineChartSpec, type Series } from '../../src/report/charts.ts';
import { heatMap, lineChart } from '../../src/report/svg.ts';
import { count, lineVertices, microSeries, yTicks } from './helpers.ts';

/** Every chart is this many pixels wide: no line needs more than a few vertices per pixel column, no heat map more than one cell. */
const CHART_W = 720;

const flat = (value: number, over: Partial<LineChartSpec> = {}): string =>
  lineChart({ id: 'flat', title: 'flat', xLabel: 'step', yLabel: 'v', series: [{ name: 'v', color: '#000', points: Array.from({ length: 50 }, (_, i) => [i + 1, value] as [number, number]) }], ...over });

/** The tick labelled `label`, and that every vertex of the line lies on it. */
function lineOnTick(svg: string, label: string): void {
  const tick = yTicks(svg).find((t) => t.label === label);
  expect(tick, `a tick labelled ${label} among ${yTicks(svg).map((t) => t.label).join(', ')}`).toBeDefined();
  for (const [, y] of lineVertices(svg, 'v')) expect(y).toBeCloseTo(tick!.y, 0);
}

describe('a flat series is drawn at its value, on an axis around it', () => {
  it("a default Adam run's lr (1e-3): the line on the tick labelled 0.001, every tick near it", () => {
    const lr = overviewCharts([{ name: 'run', color: '#000', series: microSeries(100), clipMaxNorm: 0, anomalies: [] }]).find((c) => c.id === 'lr')!;
    const svg = lineChart(lr);
    const tick = yTicks(svg).find((t) => t.label === '0.001');
    expect(tick).toBeDefined();
    for (const [, y] of lineVertices(svg, 'lr')) expect(y).toBeCloseTo(tick!.y, 0);
    const values = yTicks(svg).map((t) => Number(t.label));
    expect(values.length).toBeGreaterThan(1);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0.0005);
      expect(v).toBeLessThanOrEqual(0.0015);
    }
  });

  it('a value no nice tick falls on (1.23e-4) still gets its own label', () => {
    lineOnTick(flat(1.23e-4), '1.23e-4');
  });

  it('a negative value: its axis around it', () => {
    const svg = flat(-2);
    lineOnTick(svg, '-2');
    for (const t of yTicks(svg)) expect(Math.abs(Number(t.label) + 2)).toBeLessThanOrEqual(0.5);
  });

  it('exactly 0: a small symmetric range, the line on the tick labelled 0', () => {
    const svg = flat(0);
    lineOnTick(svg, '0');
    const values = yTicks(svg).map((t) => Number(t.label));
    expect(Math.min(...values)).toBe(-Math.max(...values));
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
  });

  it('on a log axis: the line on a tick labelled with the value, between decades', () => {
    const svg = flat(0.003, { logY: true });
    lineOnTick(svg, '0.003');
    expect(yTicks(svg).some((t) => t.label === '1e-3')).toBe(true);
  });
});

describe('a long series is drawn with a bounded number of vertices, spikes and NaN/Inf markers kept', () => {
  const n = 100_000;
  const spike = 50_000;
  const points = Array.from({ length: n }, (_, i) => [i + 1, i + 1 === spike ? 10 : 1 + 0.01 * Math.sin(i)] as [number, number]);

  it(`${n} points: no throw, at most 4 vertices per pixel column, the one-step spike and the lowest point drawn`, () => {
    const svg = lineChart({ id: 'long', title: 'long', xLabel: 'step', yLabel: 'v', series: [{ name: 'v', color: '#000', points }], anomalies: [spike] });
    const vs = lineVertices(svg, 'v');
    expect(vs.length).toBeLessThanOrEqual(4 * CHART_W);
    expect(vs.length).toBeGreaterThan(CHART_W / 2);
    const ys = vs.map((v) => v[1]);
    const top = yTicks(svg); // linear axis from the lowest value to 10: the spike at the top of the plot
    expect(top.length).toBeGreaterThan(1);
    const yTop = Math.min(...ys);
    const yBottom = Math.max(...ys);
    expect(yTop).toBeCloseTo(50, 0); // the plot's top edge (value 10)
    expect(yBottom).toBeCloseTo(254, 0); // its bottom edge (the lowest value)
    // the spike's vertex is where step 50,000 is
    const xSpike = vs.find((v) => v[1] === yTop)![0];
    const marker = svg.match(/<path d="M([\d.]+),[^"]*" fill="#d62728" class="anomaly"><title>NaN\/Inf at step 50000<\/title>/);
    expect(marker).not.toBeNull();
    expect(Number(marker![1])).toBeCloseTo(xSpike, 0);
    expect(svg).toMatch(/data-points="100000"/);
    // the step axis in whole steps, not 1.0e+5
    const xLabels = [...svg.matchAll(/text-anchor="middle" class="tick">([^<]*)</g)].map((m) => m[1]);
    expect(xLabels).toContain('100000');
  });

  it('a NaN/Inf marker for every step of a long run: at most one per pixel column', () => {
    const steps = points.map((p) => p[0]);
    const svg = lineChart({ id: 'long', title: 'long', xLabel: 'step', yLabel: 'v', series: [{ name: 'v', color: '#000', points }], anomalies: steps });
    const markers = count(svg, /class="anomaly"/);
    expect(markers).toBeGreaterThan(CHART_W / 2);
    expect(markers).toBeLessThanOrEqual(CHART_W);
  });

  it('a band (the sweep report): bounded, its envelope kept', () => {
    const band = points.map(([x, y]) => [x, y - 0.5, x === 70_000 ? 30 : y + 0.5] as [number, number, number]);
    const s: Series = { name: 'v', color: '#000', points, band };
    const svg = lineChart({ id: 'band', title: 'band', xLabel: 'step', yLabel: 'v', series: [s] });
    const d = svg.match(/<path d="([^"]*)"[^>]*class="band"/)![1];
    const vs = [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((v) => Number(v[2]));
    expect(vs.length).toBeLessThanOrEqual(2 * 4 * CHART_W);
    expect(Math.min(...vs)).toBeCloseTo(50, 0); // the band's one high value at the top
    expect(Math.max(...vs)).toBeCloseTo(254, 0); // its lowest at the bottom
  });

  it("wantsLog (the viewer's too) decides on 200,000 values without spreading them into Math.min", () => {
    const many = Array.from({ length: 200_000 }, (_, i) => [i, i === 7 ? 1000 : 1] as [number, number]);
    expect(wantsLog({ logY: 'auto', series: [{ name: 'v', color: '#000', points: many }] })).toBe(true);
    expect(wantsLog({ logY: 'auto', series: [{ name: 'v', color: '#000', points: many.slice(8) }] })).toBe(false);
  });
});

describe('the heat map: at most one cell per pixel column and layer, each the max of its steps', () => {
  it('100,000 steps × 3 layers: cells bounded, the spike and the NaN each in one cell, the title says the cells are maxima', () => {
    const s = microSeries(100_000, 50_000);
    s.perLayer[2][70_000 - 1] = NaN;
    const range = logRange(s.perLayer);
    const svg = heatMap({ id: 'hm', title: 'Gradient L2 norm per layer and step', rows: s.layerNames, cols: s.steps, values: s.perLayer });
    const cells = [...svg.matchAll(/<rect [^>]*fill="([^"]+)" class="cell"><title>([^<]*)<\/title>/g)].map((m) => ({ fill: m[1], title: m[2] }));
    expect(cells.length).toBeLessThanOrEqual(3 * CHART_W);
    expect(cells.length).toBeGreaterThan(3 * (CHART_W / 2));
    const red = cells.filter((c) => c.fill === 'rgb(214,39,40)');
    expect(red.length).toBe(1);
    const [from, to] = red[0].title.match(/^head, steps (\d+)–(\d+)/)!.slice(1).map(Number);
    expect(from).toBeLessThanOrEqual(70_000);
    expect(to).toBeGreaterThanOrEqual(70_000);
    const spikeFill = `rgb(${heatCellColor(40, range).join(',')})`;
    const spiked = cells.filter((c) => c.title.startsWith('layer 1,') && c.fill === spikeFill);
    expect(spiked.length).toBe(1);
    expect(spiked[0].title).toMatch(/: max 40$/);
    expect(svg).toMatch(/class="title">Gradient L2 norm per layer and step; each cell the max of \d+ steps</);
  });

  it('a short run keeps a cell per step, titled as before', () => {
    const s = microSeries(8);
    const svg = heatMap({ id: 'hm', title: 'Gradient L2 norm per layer and step', rows: s.layerNames, cols: s.steps, values: s.perLayer });
    expect(count(svg, /class="cell"/)).toBe(3 * 8);
    expect(svg).toMatch(/class="title">Gradient L2 norm per layer and step</);
    expect(svg).toMatch(/<title>layer 1, step 3: [\d.]+<\/title>/);
  });
});
