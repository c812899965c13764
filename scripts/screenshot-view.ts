// The README's pictures of weft view, from real runs: the baseline scenario and no-residuals
// (60 steps each, compact logs, in a temporary folder) opened side by side in headless Chromium;
// docs/viewer.png shows the overview with both runs and the layer × step heat map, and
// docs/viewer-step.png a step's tensors and the story's attention head.
// Usage: npx tsx scripts/screenshot-view.ts [--steps 60] [--out docs] (needs chromium)
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { main } from '../src/cli/main.ts';
import { startViewer } from '../src/view/server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { steps: { type: 'string', default: '60' }, out: { type: 'string', default: join(root, 'docs') } } });
const chromiumPath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromiumPath) throw new Error('no Chromium found (set CHROMIUM_PATH)');
const dir = mkdtempSync(join(tmpdir(), 'weft-screenshot-'));
const logs = ['baseline', 'no-residuals'].map((s) => join(dir, `${s}.weft`));
for (const [i, s] of ['baseline', 'no-residuals'].entries()) {
  const code = await main(['run', s, '--steps', String(values.steps), '--record', 'compact', '--out', logs[i], '--quiet']);
  if (code !== 0) throw new Error(`weft run ${s}: exit ${code}`);
}
const viewer = await startViewer({ paths: logs });
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1060, height: 1250 }, deviceScaleFactor: 1 });
const errors: string[] = [];
page.on('pageerror', (e) => errors.push(String(e)));
await page.goto(viewer.url);
await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
await page.check('input.run-select[data-run="1"]');
await page.waitForSelector('.divergence[data-step]');
await page.selectOption('#heat-metric', 'updateRatio');
await page.waitForSelector('#heat-map .heat-title >> text=update-to-weight ratio');
// the cursor on a heat-map cell of layer 1, as a person hovers it
const canvas = (await page.$('#heat-canvas'))!;
const box = (await canvas.boundingBox())!;
const [cw, ch] = await canvas.evaluate((c) => [Number(c.dataset.cellW), Number(c.dataset.cellH)]);
await page.mouse.move(box.x + cw * (Number(values.steps) * 0.6), box.y + 1.5 * ch);
mkdirSync(values.out!, { recursive: true });
await page.screenshot({ path: join(values.out!, 'viewer.png') });
await page.uncheck('input.run-select[data-run="1"]');
await page.fill('#step-input', String(values.steps));
await page.dispatchEvent('#step-input', 'change');
await page.waitForSelector(`.step-summary[data-step="${values.steps}"]`);
await page.waitForSelector('#att-grid');
// from the step section down: its first tensors, then the attention grid
const y = await page.$eval('#scrub', (e) => e.getBoundingClientRect().top + window.scrollY);
await page.$eval('#step-detail div.tensors', (e) => ((e as HTMLElement).style.maxHeight = '260px'));
const end = await page.$eval('#attention', (e) => e.getBoundingClientRect().bottom + window.scrollY);
await page.screenshot({ path: join(values.out!, 'viewer-step.png'), fullPage: true, clip: { x: 0, y: y - 8, width: 1060, height: Math.min(1500, end - y + 24) } });
await browser.close();
await viewer.close();
if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
process.stdout.write(`${join(values.out!, 'viewer.png')}, ${join(values.out!, 'viewer-step.png')}\n`);
