import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TINY } from '../../src/config/config.ts';
import { openLog } from '../../src/log/reader.ts';
import { stepView } from '../../src/log/steps.ts';
import { startViewer, type Viewer } from '../../src/view/server.ts';
import { PATIENCE_MS, weft } from '../helpers.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const OUT = process.env.WEFT_TEST_OUTPUT ?? tempDir();
if (process.env.CI && !CHROMIUM) throw new Error('CI is set but no Chromium was found: .ci/run must install it');

describe.skipIf(!CHROMIUM)('weft view in headless Chromium', () => {
  let browser: Browser;
  let viewer: Viewer;
  const dir = tempDir();
  const a = join(dir, 'a.weft');
  const b = join(dir, 'b.weft');
  const corrupt = join(dir, 'corrupt.weft');
  const steps = 8;
  let corruptOffset = 0;

  beforeAll(async () => {
    const base = { model: TINY, steps, record: { mode: 'full', keyframeEvery: 4 }, data: { sentences: 200 }, probe: { every: 2 } } as const;
    recordRun(a, config(base));
    // one setting changed: the dropout rate (so the runs part at step 1, in the masks)
    recordRun(b, config({ ...base, model: { ...TINY, dropout: 0.2 } }));
    const bytes = Uint8Array.from(readFileSync(a));
    const log = openLog(a);
    corruptOffset = log.offsetOf('step', 5);
    log.close();
    bytes[corruptOffset + 60] ^= 0x01;
    writeFileSync(corrupt, bytes);
    mkdirSync(OUT, { recursive: true });
    viewer = await startViewer({ paths: [a, b, corrupt] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  async function open(): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(viewer.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: PATIENCE_MS });
    return { page, errors, requests };
  }

  const detail = (page: Page, run: number, step: number) => page.waitForSelector(`.step-run[data-run="${run}"] .step-summary[data-step="${step}"]`, { timeout: PATIENCE_MS });

  it('the overview draws; scrubbing to step N shows the per-tensor norms weft inspect --step N --json prints; the heat map’s hover value is the log’s', async () => {
    const { page, errors, requests } = await open();
    // every chart drew marks: canvases with coloured pixels
    const inked = await page.$$eval('#charts .chart', (charts) => charts.map((c) => {
      const canvas = c.querySelector('canvas')!;
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] > 240 && d[i + 1] > 240 && d[i + 2] > 240)) n++;
      return { id: c.id, n };
    }));
    expect(inked.map((c) => c.id)).toEqual(['chart-loss', 'chart-grad-global', 'chart-lr']);
    for (const c of inked) expect(c.n, c.id).toBeGreaterThan(500);

    const n = 5;
    await page.fill('#step-input', String(n));
    await page.dispatchEvent('#step-input', 'change');
    await detail(page, 0, n);
    const shown = await page.$$eval('.step-run[data-run="0"] tr[data-tensor]', (rows) => Object.fromEntries(rows.map((r) => [r.getAttribute('data-tensor'), Number(r.querySelector('td[data-q="g-recorded"]')!.getAttribute('data-value'))])));
    const inspect = JSON.parse(weft(['inspect', a, '--step', String(n), '--json']).stdout);
    expect(shown).toEqual(inspect.gradNorm.perTensor);

    // hover the cell of layer 1 (row 1) at step 3 (column 2)
    const canvas = (await page.$('#heat-canvas'))!;
    const box = (await canvas.boundingBox())!;
    const [cw, ch] = await canvas.evaluate((c) => [Number(c.dataset.cellW), Number(c.dataset.cellH)]);
    await page.mouse.move(box.x + 2.5 * cw, box.y + 1.5 * ch);
    const tip = await page.$eval('#heat-tip', (t) => ({ value: t.dataset.value, layer: t.dataset.layer, step: t.dataset.step, hidden: (t as HTMLElement).hidden }));
    const log = openLog(a);
    expect(tip).toEqual({ value: String(stepView(log.readStep(3)).gradNormPerLayer[1]), layer: 'layer 1', step: '3', hidden: false });
    log.close();
    // clicking it opens that step
    await page.mouse.click(box.x + 2.5 * cw, box.y + 1.5 * ch);
    await detail(page, 0, 3);

    // the other heat maps, computed by replay on demand
    await page.selectOption('#heat-metric', 'updateRatio');
    await page.waitForSelector('#heat-map .heat-title >> text=update-to-weight ratio');
    // the story's head, one click away: layer 2 is this model's last (it has two)
    await page.click('#att-story');
    await page.waitForSelector('#att-grid');
    expect(await page.textContent('#att-view .att-caption')).toMatch(/^layer 2, head 4, after step 3/);
    // the probed links over training, as weft attention --track finds them
    const tracks = await page.$$eval('#att-tracks .chart canvas', (cs) => cs.length);
    expect(tracks).toBe(2);
    const strongest = await page.$$eval('#att-tracks .track-strongest', (ps) => ps.map((p) => p.textContent));
    const t = JSON.parse(weft(['attention', a, '--track', 'they->scientists', '--json']).stdout).strongest;
    expect(strongest[0]).toContain(`layer ${t.layer + 1}, head ${t.head + 1} (${t.final.toFixed(2)})`);
    await page.click('#att-tracks button.show-strongest');
    await page.waitForSelector(`#att-view .att-caption >> text=layer ${t.layer + 1}, head ${t.head + 1}, after step 3`);
    await page.screenshot({ path: join(OUT, 'view.png'), fullPage: true });
    expect(errors).toEqual([]);
    // nothing from elsewhere: the page, its script and style, the API
    expect(requests.filter((u) => !u.startsWith(viewer.url))).toEqual([]);
    await page.close();
  });

  it('comparing two runs that differ in one setting shows the divergence weft diff reports, and jumps there in both', async () => {
    const { page, errors } = await open();
    await page.check('input.run-select[data-run="1"]');
    const div = await page.waitForSelector('.divergence[data-step]');
    const d = JSON.parse(weft(['diff', a, b, '--json']).stdout).firstDivergence;
    expect(Number(await div.getAttribute('data-step'))).toBe(d.step);
    expect(await div.textContent()).toContain(`in the ${d.stream}`);
    await page.click('.divergence button.jump');
    await detail(page, 0, d.step);
    await detail(page, 1, d.step);
    // both runs on the overview
    expect(await page.$$eval('#chart-loss .u-legend .u-series', (s) => s.length)).toBe(3); // step + a + b
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a corrupt log shows a banner naming the byte offset and what is still readable', async () => {
    const { page, errors } = await open();
    const banner = await page.waitForSelector('.banner[data-run="2"]');
    expect(Number(await banner.getAttribute('data-offset'))).toBe(corruptOffset);
    const text = await banner.textContent();
    expect(text).toContain(`corrupt at byte ${corruptOffset}`);
    expect(text).toContain('still readable: steps 1…4');
    // opened on its own, its readable steps still show
    await page.uncheck('input.run-select[data-run="0"]');
    await page.check('input.run-select[data-run="2"]');
    await detail(page, 2, 4);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!CHROMIUM)('weft view of runs with held-out evaluations, in headless Chromium', () => {
  let browser: Browser;
  let viewer: Viewer;
  const dir = tempDir();
  const story = join(dir, 'story.weft');
  const modular = join(dir, 'modular.weft');
  const induction = join(dir, 'induction.weft');
  const steps = 8;

  beforeAll(async () => {
    const base = { model: TINY, steps, data: { trainFraction: 0.9 }, eval: { every: 2, batches: 1 } } as const;
    recordRun(story, config(base));
    recordRun(modular, config({ ...base, data: { kind: 'modular', trainFraction: 0.5 } }));
    recordRun(induction, config({ ...base, model: { ...TINY, mlp: false, contextLength: 16 }, data: { kind: 'induction', batchSize: 4, trainFraction: 0.9 }, record: { mode: 'summary', keyframeEvery: 4 } }));
    viewer = await startViewer({ paths: [story, modular, induction] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  /** Per chart: its id, its legend's names, and how many pixels are near each colour (the curves drawn in it). */
  const charts = (page: Page, colors: Record<string, [number, number, number]>) => page.$$eval('#charts .chart', (boxes, colors) => boxes.map((box) => {
    const canvas = box.querySelector('canvas')!;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const inked: Record<string, number> = Object.fromEntries(Object.keys(colors).map((k) => [k, 0]));
    for (let i = 0; i < d.length; i += 4) {
      for (const [k, [r, g, b]] of Object.entries(colors)) if (d[i + 3] > 200 && Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 40) inked[k]++;
    }
    return { id: box.id, legend: [...box.querySelectorAll('.u-legend .u-series .u-label')].map((l) => l.textContent).slice(1), inked };
  }), colors);
  const COLORS: Record<string, [number, number, number]> = { heldOut: [214, 39, 40], train: [44, 160, 44] };

  it('draws held-out and train-split loss on the loss chart beside the step loss, and for a task with one answer their accuracy on its own chart', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(viewer.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: PATIENCE_MS });
    const first = await charts(page, COLORS);
    expect(first.map((c) => c.id)).toEqual(['chart-loss', 'chart-grad-global', 'chart-lr']); // the story: no accuracy
    const loss = first[0];
    expect(loss.legend).toEqual(['loss', 'smoothed', 'held-out loss', 'train-split loss']);
    // both curves inked, in their colours; no other chart has them
    expect(loss.inked.heldOut, 'held-out curve').toBeGreaterThan(100);
    expect(loss.inked.train, 'train-split curve').toBeGreaterThan(100);
    for (const c of first.slice(1)) expect(c.inked, c.id).toEqual({ heldOut: 0, train: 0 });
    await page.screenshot({ path: join(OUT, 'view-evaluations.png'), fullPage: true });

    // the modular task alone: its accuracy after the loss
    // (one after the other: the two tasks' vocabularies differ, so the two cannot be compared)
    await page.uncheck('input.run-select[data-run="0"]');
    await page.check('input.run-select[data-run="1"]');
    await page.waitForSelector('#chart-accuracy', { timeout: PATIENCE_MS });
    const second = await charts(page, COLORS);
    expect(second.map((c) => c.id)).toEqual(['chart-loss', 'chart-accuracy', 'chart-grad-global', 'chart-lr']);
    expect(second[1].legend).toEqual(['held-out', 'train split']);
    expect(second[1].inked.heldOut).toBeGreaterThan(100);
    expect(second[1].inked.train).toBeGreaterThan(100);
    await page.screenshot({ path: join(OUT, 'view-accuracy.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an induction run shows its heads by pattern through training (previous-token, induction), and names the highest; a story run does not', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    // the story run's answer (no patterns) arrives before the section is looked at
    const storyPatterns = page.waitForResponse((r) => r.url().endsWith('/api/runs/0/patterns'), { timeout: PATIENCE_MS });
    await page.goto(viewer.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: PATIENCE_MS });
    expect(await (await storyPatterns).json()).toEqual({ id: 0, patterns: [], problems: [] });
    expect(await page.$eval('#patterns', (s) => (s as HTMLElement).hidden)).toBe(true);
    await page.uncheck('input.run-select[data-run="0"]');
    await page.check('input.run-select[data-run="2"]');
    await page.waitForSelector('#chart-pattern-induction canvas', { timeout: PATIENCE_MS });
    const drawn = await page.$$eval('#pattern-charts .chart', (boxes) => boxes.map((b) => ({ id: b.id, legend: [...b.querySelectorAll('.u-legend .u-series .u-label')].map((l) => l.textContent).slice(1) })));
    expect(drawn.map((d) => d.id)).toEqual(['chart-pattern-previous-token', 'chart-pattern-induction']);
    // the 5 highest heads of the tiny model's 8, by layer and head from 1
    for (const d of drawn) {
      expect(d.legend).toHaveLength(5);
      for (const name of d.legend) expect(name).toMatch(/^L[12] H[1-4]$/);
    }
    // whose heads they are: the one run ticked
    expect(await page.$eval('#pattern-charts .pattern-run', (p) => p.textContent)).toBe("induction.weft's heads");
    const said = await page.$$eval('#pattern-charts .pattern-strongest', (ps) => ps.map((p) => p.textContent));
    expect(said).toHaveLength(2);
    for (const s of said) expect(s).toMatch(/layer [12], head [1-4]/);
    expect(await page.$eval('#patterns', (s) => (s as HTMLElement).hidden)).toBe(false);
    await page.screenshot({ path: join(OUT, 'view-patterns.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the overview API sends the evaluations exactly as the log holds them (and nothing for a run without)', async () => {
    const o = await (await fetch(`${viewer.url}api/runs/1/overview`)).json();
    const log = openLog(modular);
    const evals = log.readEvals();
    log.close();
    expect(o.evaluations).toEqual({
      steps: [0, 2, 4, 6, 8],
      heldOutLoss: evals.map((e) => e.heldOut.loss), trainLoss: evals.map((e) => e.train.loss),
      heldOutAccuracy: evals.map((e) => e.heldOut.accuracy), trainAccuracy: evals.map((e) => e.train.accuracy),
    });
    expect(evals.every((e) => e.heldOut.accuracy !== null)).toBe(true);
    const s = await (await fetch(`${viewer.url}api/runs/0/overview`)).json();
    expect(s.evaluations.heldOutAccuracy).toBeNull();
  });
});
