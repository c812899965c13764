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
  // held-out evaluations: the story (no accuracy) twice, weight decay 0 and 0.5; modular addition (accuracy)
  const evaluated = join(dir, 'evaluated.weft');
  const decayed = join(dir, 'decayed.weft');
  const modular = join(dir, 'modular.weft');
  const withEval = (over: Parameters<typeof config>[0]) => config({ model: TINY, steps, data: { trainFraction: 0.9 }, eval: { every: 2, batches: 1 }, optim: { kind: 'adamw', lr: 1e-3, weightDecay: 0 }, ...over });

  beforeAll(async () => {
    recordRun(a, config({ model: TINY, steps }));
    recordRun(b, config({ model: TINY, steps, optim: { kind: 'sgd', lr: 0.1 } }));
    recordRun(exploding, await tinyConfig('exploding-gradients', 24));
    recordRun(probed, config({ model: TINY, steps: 6, probe: { every: 2 } }));
    recordRun(evaluated, withEval({}));
    recordRun(decayed, withEval({ optim: { kind: 'adamw', lr: 1e-3, weightDecay: 0.5 } }));
    recordRun(modular, withEval({ data: { kind: 'modular', trainFraction: 0.5 } }));
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

  /** Each series' drawn line (points counted, width on screen) and its dots (one per evaluation), by name. */
  const drawn = (page: import('playwright-core').Page, chart: string) => page.$$eval(`${chart} path.series`, (ps) => ps.map((p) => {
    const name = p.getAttribute('data-series')!;
    const dots = [...p.closest('svg')!.querySelectorAll('circle.point')].filter((c) => c.getAttribute('data-series') === name);
    return { name, n: Number(p.getAttribute('data-points')), w: Math.round(p.getBoundingClientRect().width), dots: dots.map((c) => Number(c.getAttribute('cy'))) };
  }));

  it('a run with evaluations: held-out and train-split loss on the loss chart beside the step loss, at every evaluation; no accuracy chart for the story', async () => {
    const log = openLog(evaluated);
    const evals = log.readEvals();
    const { page, errors } = await open(runReportHtml(log), 'evaluated-report');
    log.close();
    expect(errors).toEqual([]);
    expect(evals.map((e) => e.step)).toEqual([0, 2, 4, 6, 8]);
    const loss = await drawn(page, '#loss');
    expect(loss.map((l) => [l.name, l.n])).toEqual([['loss', steps], ['smoothed', steps], ['held-out loss', evals.length], ['train-split loss', evals.length]]);
    for (const l of loss) expect(l.w, l.name).toBeGreaterThan(300); // step 0…8 and 1…8 across the plot
    const [heldOut, train] = [loss[2], loss[3]];
    expect(heldOut.dots).toHaveLength(evals.length);
    expect(train.dots).toHaveLength(evals.length);
    // the dots are the log's numbers: the lower loss is drawn higher up (smaller y), evaluation by evaluation
    evals.forEach((e, i) => {
      if (e.heldOut.loss !== e.train.loss) expect(Math.sign(heldOut.dots[i] - train.dots[i]), `step ${e.step}`).toBe(Math.sign(e.train.loss - e.heldOut.loss));
    });
    expect(await page.$$eval('#loss text.legend', (ts) => ts.map((t) => t.textContent))).toEqual(['loss', 'smoothed', 'held-out loss', 'train-split loss']);
    expect(await page.$('#accuracy')).toBeNull(); // the story has no one answer
    expect(await overlappingTexts(page)).toEqual([]);
    await page.close();
  });

  it('a task with one answer (modular addition): the accuracy of both splits on a chart of its own', async () => {
    const log = openLog(modular);
    const evals = log.readEvals();
    const { page, errors } = await open(runReportHtml(log), 'modular-report');
    log.close();
    expect(errors).toEqual([]);
    const accuracy = await drawn(page, '#accuracy');
    expect(accuracy.map((l) => [l.name, l.n, l.dots.length])).toEqual([['held-out', evals.length, evals.length], ['train split', evals.length, evals.length]]);
    expect(await page.$$eval('#accuracy text.label', (ts) => ts.map((t) => t.textContent))).toEqual(['step', 'accuracy']);
    expect((await drawn(page, '#loss')).map((l) => l.name)).toEqual(['loss', 'smoothed', 'held-out loss', 'train-split loss']);
    // the accuracy chart follows the loss chart
    expect(await page.$$eval('svg.chart', (svgs) => svgs.slice(0, 2).map((s) => s.id))).toEqual(['loss', 'accuracy']);
    expect(await overlappingTexts(page)).toEqual([]);
    await page.close();
  });

  it('diff report of two runs with evaluations: each one’s held-out curve, dashed, beside its step loss', async () => {
    const la = openLog(evaluated);
    const lb = openLog(decayed);
    const { page, errors } = await open(diffReportHtml(la, lb, diff(la, lb, { everyStep: true })), 'evaluated-diff-report');
    la.close();
    lb.close();
    expect(errors).toEqual([]);
    expect((await drawn(page, '#loss')).map((l) => [l.name, l.dots.length])).toEqual([['a', 0], ['a held-out', 5], ['b', 0], ['b held-out', 5]]);
    expect(await page.$$eval('#loss path.series[stroke-dasharray]', (ps) => ps.map((p) => p.getAttribute('data-series')))).toEqual(['a held-out', 'b held-out']);
    expect(await page.textContent('.held-out')).toMatch(/^held-out loss parts at step 2: /);
    expect(await overlappingTexts(page)).toEqual([]);
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
