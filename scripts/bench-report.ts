// The static run report of a long run (issue 20: a 200,000-step summary log's report opens in
// Chromium in under 2 s): records a MICRO summary log (1 layer, d 8; written when missing), draws
// its report in this process (the log's series read, then the page drawn) and opens the page in
// headless Chromium, as browser.test.ts drives it: the time from navigation to the load event and
// two painted frames after it, the page's size and its element counts. Prints JSON.
// Usage: npx tsx scripts/bench-report.ts [--steps 200000] [--log FILE (reuse; written when missing)]
//   [--html FILE (time opening this page only, e.g. an older report)] [--opens 5]
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { mergeConfig, validateConfig, DEFAULT_CONFIG } from '../src/config/config.ts';
import { runTraining } from '../src/engine/run.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { openLog } from '../src/log/reader.ts';
import { Recorder } from '../src/engine/recorder.ts';
import { runReportPage, namedRun } from '../src/report/html.ts';
import { describeRun } from '../src/report/series.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '200000' }, log: { type: 'string' }, html: { type: 'string' }, opens: { type: 'string', default: '5' } } });
const steps = Number(values.steps);
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-report-'));
const now = () => performance.now(); // timing
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (ms: number) => Math.round(ms);
const out: Record<string, unknown> = {};

let htmlPath = values.html;
if (!htmlPath) {
  const logPath = values.log ?? join(dir, `micro-${steps}.weft`);
  if (!existsSync(logPath)) {
    // tests/log/helpers.ts MICRO, recorded as summaries with one keyframe
    const c = validateConfig(mergeConfig(DEFAULT_CONFIG, {
      steps, model: { nLayers: 1, nHeads: 2, dModel: 8, dFF: 16, vocabSize: 16, contextLength: 4 },
      data: { corpus: 'random', batchSize: 2, randomTokens: 512 }, record: { mode: 'summary', keyframeEvery: 10_000_000 },
    }));
    process.stderr.write(`recording ${steps} MICRO steps (summary) to ${logPath}…\n`);
    const t0 = now();
    const t = new Trainer(c);
    const rec = Recorder.create(logPath, 'micro', c, t);
    rec.finish(runTraining(t, c.steps, [rec]), t);
    out.record = { steps, ms: round(now() - t0), logBytes: statSync(logPath).size };
  }
  const log = openLog(logPath);
  const t0 = now();
  const run = namedRun(log, log.header.scenario, 0);
  const t1 = now();
  const html = runReportPage({ scenario: log.header.scenario, description: describeRun(log), path: log.path, run, anomaly: log.readAnomalies()[0] ?? null });
  const t2 = now();
  log.close();
  htmlPath = join(dir, 'report.html');
  writeFileSync(htmlPath, html);
  out.report = { steps: run.series.steps.length, readSeriesMs: round(t1 - t0), drawMs: round(t2 - t1) };
}

const html = readFileSync(htmlPath, 'utf8');
out.page = {
  file: htmlPath,
  bytes: Buffer.byteLength(html),
  rects: html.split('<rect ').length - 1,
  heatCells: html.split('class="cell"').length - 1,
  pathVertices: [...html.matchAll(/<path d="([^"]*)"[^>]*class="series" data-series="([^"]*)"/g)].map((m) => ({ series: m[2], vertices: m[1].split(/[ML]/).length - 1 })),
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const opens: { loadedMs: number; paintedMs: number; elements: number }[] = [];
for (let i = 0; i < Number(values.opens); i++) {
  const page = await browser.newPage({ viewport: { width: 800, height: 1400 } });
  const t0 = now();
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load', timeout: 600_000 });
  const loadedMs = now() - t0;
  // two animation frames after load: the page has been laid out and painted
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const paintedMs = now() - t0;
  opens.push({ loadedMs: round(loadedMs), paintedMs: round(paintedMs), elements: await page.evaluate(() => document.getElementsByTagName('*').length) });
  await page.close();
}
await browser.close();
out.chromium = { opens, loadedMsMedian: median(opens.map((o) => o.loadedMs)), paintedMsMedian: median(opens.map((o) => o.paintedMs)) };
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
