import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { TINY } from '../../src/config/config.ts';
import { openLog } from '../../src/log/reader.ts';
import { runReportHtml, diffReportHtml } from '../../src/report/html.ts';
import { diff } from '../../src/diff/diff.ts';
import { tinyConfig } from '../helpers.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
// screenshots go next to the test's logs (WEFT_TEST_OUTPUT keeps them somewhere to look at)
const OUT = process.env.WEFT_TEST_OUTPUT ?? tempDir();
// CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip
if (process.env.CI && !CHROMIUM) throw new Error('CI is set but no Chromium was found: .ci/run must install it');

describe.skipIf(!CHROMIUM)('HTML reports in headless Chromium', () => {
  let browser: Browser;
  const dir = tempDir();
  const steps = 8;
  const a = join(dir, 'a.weft');
  const b = join(dir, 'b.weft');
  const exploding = join(dir, 'exploding.weft');
  const probed = join(dir, 'probed.weft');

  beforeAll(async () => {
    recordRun(a, config({ model: TINY, steps }));
    recordRun(b, config({ model: TINY, steps, optim: { kind: 'sgd', lr: 0.1 } }));
    recordRun(exploding, await tinyConfig('exploding-gradients', 24));
    recordRun(probed, config({ model: TINY, steps: 6, probe: { every: 2 } }));
    mkdirSync(OUT, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(html: string, name: string) {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 800, height: 1400 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    return { page, errors, requests };
  }

  it('run report: no console errors, no network, loss curve and layer × step heat map drawn', async () => {
    const log = openLog(a);
    const { page, errors, requests } = await open(runReportHtml(log), 'run-report');
    log.close();
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const loss = await page.$$eval('#loss path.series', (ps) => ps.map((p) => ({ name: p.getAttribute('data-series'), n: Number(p.getAttribute('data-points')), d: p.getAttribute('d')!.length, w: p.getBoundingClientRect().width })));
    expect(loss.map((l) => l.name)).toEqual(['loss', 'smoothed']); // the smoothed line shares charts.ts with the viewer
    expect(loss[0].n).toBe(steps);
    expect(loss[0].w).toBeGreaterThan(300);
    const cells = await page.$$eval('#grad-heatmap rect.cell', (rs) => rs.length);
    expect(cells).toBe(4 * steps); // emb, layer 1, layer 2, head × steps
    const axisLabels = await page.$$eval('#loss text.label', (ts) => ts.map((t) => t.textContent));
    expect(axisLabels).toEqual(['step', 'loss']);
    // Adam's constant lr (1e-3) is drawn at its value, level with the tick that names it (it was a line at 0 on an axis −0.4…0.4)
    const lr = await page.$eval('#lr', (svg) => {
      const line = svg.querySelector('path.series')!.getBoundingClientRect();
      const tick = [...svg.querySelectorAll('text.tick[text-anchor="end"]')].find((t) => t.textContent === '0.001')?.getBoundingClientRect();
      return { line: line.top + line.height / 2, tick: tick ? tick.top + tick.height / 2 : null };
    });
    expect(lr.tick).not.toBeNull();
    expect(Math.abs(lr.line - lr.tick!)).toBeLessThan(3);
    await page.close();
  });

  it('exploding-gradients report: every chart readable — log-scale loss, thinned decades, no text over text, no empty clip panel, an lr curve', async () => {
    const log = openLog(exploding);
    const { page, errors } = await open(runReportHtml(log), 'exploding-report');
    const last = log.lastStep;
    log.close();
    expect(errors).toEqual([]);
    expect(await overlappingTexts(page)).toEqual([]);
    expect(await page.$$eval('#loss text.label', (ts) => ts.map((t) => t.textContent))).toEqual(['step', 'loss (log scale)']);
    const decades = await page.$$eval('#grad-global text.tick', (ts) => ts.map((t) => t.textContent!).filter((t) => t.startsWith('1e')));
    expect(decades.length).toBeGreaterThan(1);
    expect(decades.length).toBeLessThanOrEqual(7);
    expect(await page.$$eval('#loss path.series', (ps) => ps.map((p) => Number(p.getAttribute('data-points'))))).toEqual([last, last]);
    // where the run hit NaN/Inf is marked on the axis
    expect(await page.$$eval('#loss path.anomaly', (ps) => ps.map((p) => p.textContent))).toEqual([`NaN/Inf at step ${last + 1}`]);
    expect(await page.$('#clip')).toBeNull(); // no clipping configured: no flat line at 1
    expect(await page.$$eval('#lr path.series', (ps) => ps.length)).toBe(1);
    expect(await page.$$eval('#grad-heatmap rect.cell', (rs) => rs.length)).toBe(4 * last);
    await page.close();
  });

  it('a run with attention probes: each tracked link over training, and the strongest head’s grid at the last step', async () => {
    const log = openLog(probed);
    const { page, errors } = await open(runReportHtml(log), 'probed-report');
    const probes = log.readProbes();
    log.close();
    expect(errors).toEqual([]);
    for (const id of ['they-scientists', 'her-professor']) {
      const series = await page.$$eval(`#track-${id} path.series`, (ps) => ps.map((p) => Number(p.getAttribute('data-points'))));
      expect(series).toEqual([probes.length, probes.length, probes.length, probes.length, probes.length]); // the 5 strongest of TINY's 8 heads, every probed step
      // the grid: one row per word, a cell for each word up to it
      const rows = await page.$$eval(`#grid-${id} tr`, (trs) => trs.map((tr) => tr.querySelectorAll('td.w').length));
      expect(rows.slice(1)).toEqual(rows.slice(1).map((_, q) => q + 1));
    }
    expect(await overlappingTexts(page)).toEqual([]);
    await page.close();
  });

  it('diff report: both runs overlaid, divergence marked', async () => {
    const la = openLog(a);
    const lb = openLog(b);
    const r = diff(la, lb, { everyStep: true });
    const { page, errors } = await open(diffReportHtml(la, lb, r), 'diff-report');
    la.close();
    lb.close();
    expect(errors).toEqual([]);
    const series = await page.$$eval('#loss path.series', (ps) => ps.map((p) => p.getAttribute('data-series')));
    expect(series).toEqual(['a', 'b']);
    expect(await page.$$eval('#loss line.marker', (ls) => ls.length)).toBe(1);
    expect(await page.textContent('.verdict')).toMatch(/first divergence at step 1, in the lr: lr \(a 0.001, b 0.1\)/);
    expect(await page.$$eval('#grad-heatmap-b rect.cell', (rs) => rs.length)).toBe(4 * steps);
    // one parameter-distance path per layer group, each named in a legend that covers no other text
    expect(await page.$$eval('#param-dist path.series', (ps) => ps.map((p) => p.getAttribute('data-series')))).toEqual(['emb', 'layer 1', 'layer 2', 'head']);
    expect(await page.$$eval('#param-dist text.legend', (ts) => ts.map((t) => t.textContent))).toEqual(['emb', 'layer 1', 'layer 2', 'head']);
    expect(await overlappingTexts(page)).toEqual([]);
    expect(await page.$$eval('#lr path.series', (ps) => ps.length)).toBe(2);
    await page.close();
  });
});

/** Text boxes in each chart that overlap another by more than 2 px² (labels drawn over labels). */
async function overlappingTexts(page: import('playwright-core').Page): Promise<string[]> {
  return page.$$eval('svg.chart', (svgs) => svgs.flatMap((svg) => {
    const boxes = [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent ?? '', r: t.getBoundingClientRect() }));
    const out: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r;
        const b = boxes[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 0 && h > 0 && w * h > 2) out.push(`#${svg.id}: "${boxes[i].text}" over "${boxes[j].text}"`);
      }
    }
    return out;
  }));
}
