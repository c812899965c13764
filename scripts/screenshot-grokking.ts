// The README's pictures of grokking: the train and held-out accuracy of the grokking run and of
// its weight-decay ablation, each the accuracy chart of the run's report (`weft report`),
// photographed in headless Chromium: docs/grokking-accuracy.png and docs/grokking-wd0-accuracy.png.
// Usage: npx tsx scripts/screenshot-grokking.ts [A.weft B.weft] [--out docs] (needs chromium)
//   A, B default to runs/grokking.weft and runs/grokking-wd0.weft (README "Grokking" makes them)
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { main } from '../src/cli/main.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string', default: join(root, 'docs') } } });
const logs = positionals.length ? positionals : [join(root, 'runs/grokking.weft'), join(root, 'runs/grokking-wd0.weft')];
if (logs.length !== 2) throw new Error('two logs: the grokking run and its ablation');
const chromiumPath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromiumPath) throw new Error('no Chromium found (set CHROMIUM_PATH)');
const dir = mkdtempSync(join(tmpdir(), 'weft-grokking-'));
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
mkdirSync(values.out!, { recursive: true });
const outs: string[] = [];
for (const [i, name] of ['grokking-accuracy.png', 'grokking-wd0-accuracy.png'].entries()) {
  const html = join(dir, `${i}.html`);
  const code = await main(['report', logs[i], '--html', html]);
  if (code !== 0) throw new Error(`weft report ${logs[i]}: exit ${code}`);
  await page.goto(pathToFileURL(html).href);
  const out = join(values.out!, name);
  await (await page.waitForSelector('#accuracy'))!.screenshot({ path: out });
  outs.push(out);
}
await browser.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${outs.join(', ')}\n`);
