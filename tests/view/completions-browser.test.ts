import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { TINY } from '../../src/config/config.ts';
import { openLog } from '../../src/log/reader.ts';
import { completionTracks, type CompletionTrack } from '../../src/replay/completions.ts';
import { startViewer, type Viewer } from '../../src/view/server.ts';
import { PATIENCE_MS } from '../helpers.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PROMPTS = ['The scientists published their', 'The professor'];

describe.skipIf(!CHROMIUM)('weft view: what the model says at the scrubbed step', () => {
  let browser: Browser;
  let viewer: Viewer;
  let tracks: CompletionTrack[];
  const path = join(tempDir(), 'says.weft');

  beforeAll(async () => {
    recordRun(path, config({ model: { ...TINY, dropout: 0 }, steps: 7, optim: { lr: 3e-2 }, record: { mode: 'summary', keyframeEvery: 4 }, data: { sentences: 200 }, probe: { every: 2, prompts: PROMPTS } }));
    const log = openLog(path);
    tracks = completionTracks(log);
    log.close();
    viewer = await startViewer({ paths: [path] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, PATIENCE_MS);
  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it('shows each prompt\'s completion of the probe at or before the step, and its next-token bars', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(viewer.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: PATIENCE_MS });
    const shown = async (step: number, probe: number) => {
      await page.fill('#step-input', String(step));
      await page.dispatchEvent('#step-input', 'change');
      await page.waitForSelector(`#says .completion[data-prompt="0"][data-step="${probe}"]`, { timeout: PATIENCE_MS });
      return page.$$eval('#says .completion', (cs) => cs.map((c) => ({
        prompt: c.querySelector('.prompt')!.textContent,
        continuation: c.querySelector('.continuation')!.textContent,
        bars: [...c.querySelectorAll('.next-token')].map((b) => ({ word: b.querySelector('.next-word')!.textContent, p: b.getAttribute('data-value'), width: (b.querySelector('.next-bar') as HTMLElement).getBoundingClientRect().width })),
      })));
    };
    // step 5 has no probe: the one of step 4 is shown; step 6 has its own
    for (const [step, probe] of [[5, 4], [6, 6], [0, 0]]) {
      const got = await shown(step, probe);
      expect(got.map((g) => g.prompt)).toEqual(PROMPTS);
      got.forEach((g, i) => {
        const at = tracks[i].steps.find((s) => s.step === probe)!;
        expect(g.continuation).toBe(at.continuation);
        expect(g.bars.map((b) => [b.word, b.p])).toEqual(at.top.map((t) => [t.word, String(t.probability)]));
        // drawn: the likeliest bar full width, the others no wider, none empty
        expect(g.bars[0].width).toBeGreaterThan(150);
        for (let j = 1; j < g.bars.length; j++) expect(g.bars[j].width).toBeLessThanOrEqual(g.bars[j - 1].width);
        expect(g.bars[g.bars.length - 1].width).toBeGreaterThan(0);
      });
    }
    // the completions differ between the steps shown (else the test could not tell them apart)
    expect(new Set(tracks[0].steps.map((s) => s.continuation)).size).toBeGreaterThan(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
