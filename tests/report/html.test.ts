import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY } from '../../src/config/config.ts';
import { openLog } from '../../src/log/reader.ts';
import { completionTracks } from '../../src/replay/completions.ts';
import { runReportHtml, runReportPage } from '../../src/report/html.ts';
import { config, MICRO, recordRun, tempDir } from '../log/helpers.ts';
import { chartSvg, count, lineVertices, microReport, microSeries, yTicks } from './helpers.ts';

/** Every chart is this many pixels wide (svg.ts): a line needs at most 4 vertices per pixel column, a heat map row one cell. */
const CHART_W = 720;
/** What a long run's page may weigh: its charts are bounded by their pixels, not by the steps. */
const PAGE_BYTES_MAX = 1_000_000;

/** Every chart's lines and the heat map's cells within their pixel bounds. */
function expectBounded(html: string, layers: number): void {
  expect(count(html, /class="cell"/)).toBeLessThanOrEqual(layers * CHART_W);
  for (const m of html.matchAll(/<path d="([^"]*)"[^>]*class="series"/g)) expect(count(m[1], /[ML]/)).toBeLessThanOrEqual(4 * CHART_W);
}

describe('the run report of a long run', () => {
  it('100,000 steps: drawn (it threw "Maximum call stack size exceeded")', () => {
    expect(() => runReportPage(microReport(microSeries(100_000)))).not.toThrow();
  });

  it('200,000 steps of a MICRO summary log: a page of bounded size and element counts, the spike and lr = 0.001 drawn', () => {
    const n = 200_000;
    const html = runReportPage(microReport(microSeries(n, 123_456)));
    expect(Buffer.byteLength(html)).toBeLessThan(PAGE_BYTES_MAX);
    expectBounded(html, 3);
    expect(count(html, /<rect /)).toBeLessThan(3 * CHART_W + 100);
    expect(html).toMatch(/data-series="loss" data-points="200000"/);
    const heat = chartSvg(html, 'grad-heatmap');
    expect(heat).toMatch(/each cell the max of 367 steps/); // ⌈200,000 / 546 pixel columns⌉
    expect(heat).toMatch(/<title>layer 1, steps \d+–\d+: max 40<\/title>/);
    const lr = chartSvg(html, 'lr');
    const tick = yTicks(lr).find((t) => t.label === '0.001')!;
    expect(tick).toBeDefined();
    for (const [, y] of lineVertices(lr, 'lr')) expect(y).toBeCloseTo(tick.y, 0);
  });

  it('from a log (MICRO, 3,000 steps, summary): the heat map aggregated, the default Adam lr drawn at 0.001', () => {
    const path = join(tempDir(), 'micro.weft');
    const steps = 3000;
    recordRun(path, config({ ...MICRO, steps, record: { mode: 'summary', keyframeEvery: 1_000_000 } }));
    const log = openLog(path);
    const html = runReportHtml(log);
    log.close();
    expectBounded(html, 3);
    const heat = chartSvg(html, 'grad-heatmap');
    expect(count(heat, /class="cell"/)).toBe(3 * Math.ceil(steps / 6)); // 6 steps a cell: ⌈3,000 / 546⌉
    expect(heat).toMatch(/each cell the max of 6 steps/);
    const lr = chartSvg(html, 'lr');
    const tick = yTicks(lr).find((t) => t.label === '0.001');
    expect(tick, yTicks(lr).map((t) => t.label).join(', ')).toBeDefined();
    for (const [, y] of lineVertices(lr, 'lr')) expect(y).toBeCloseTo(tick!.y, 0);
  });
});

describe('the run report: what the model says', () => {
  it('shows each prompt\'s completions where they changed, after the loss chart, from the probes; none without prompts', () => {
    const dir = tempDir();
    const path = join(dir, 'says.weft');
    const base = { model: { ...TINY, dropout: 0 }, steps: 8, optim: { lr: 3e-2 }, record: { mode: 'summary', keyframeEvery: 4 }, data: { sentences: 200 } } as const;
    recordRun(path, config({ ...base, probe: { every: 2, links: [], prompts: ['The scientists published their'] } }));
    const log = openLog(path);
    const html = runReportHtml(log);
    const t = completionTracks(log)[0];
    log.close();
    const table = /<table class="says" id="says-0">([\s\S]*?)<\/table>/.exec(html)![1];
    const rows = [...table.matchAll(/<tr><td>(\d+)<\/td><td>[^<]*<\/td><td><b>The scientists published their<\/b> ([^<]*)<\/td>/g)].map((m) => [Number(m[1]), m[2]]);
    const changed = t.steps.filter((s, j) => j === 0 || j === t.steps.length - 1 || s.continuation !== t.steps[j - 1].continuation);
    const esc = (x: string) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    expect(rows).toEqual(changed.map((s) => [s.step, esc(s.continuation)]));
    expect(rows.length).toBeGreaterThan(1);
    // beside the loss curve: the section comes right after the loss chart
    expect(html.indexOf('id="says-0"')).toBeGreaterThan(html.indexOf('id="loss"'));
    expect(html.indexOf('id="says-0"')).toBeLessThan(html.indexOf('grad-heatmap'));
    const plain = join(dir, 'plain.weft');
    recordRun(plain, config({ ...base, steps: 2, probe: { every: 2, links: [] } }));
    const l2 = openLog(plain);
    expect(runReportHtml(l2)).not.toContain('What the model says');
    l2.close();
  });
});
