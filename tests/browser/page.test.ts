// weft in a web page: the bundle (scripts/build-browser.ts) trains the tiny model in headless
// Chromium, records it into memory, reads the log back and rebuilds its last state — and the
// log's bytes are the ones Node writes for the same run.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { browserBundle } from '../../scripts/build-browser.ts';
import { trainAndRecord } from '../../src/browser/page.ts';
import { TINY } from '../../src/config/config.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (process.env.CI && !CHROMIUM) throw new Error('CI is set but no Chromium was found: .ci/run must install it');

describe.skipIf(!CHROMIUM)('weft in a web page (headless Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  // both numeric modes; f32acc (its own WebAssembly module) in compact only, to stay cheap
  for (const [mode, numeric] of [['full', 'f64acc'], ['compact', 'f64acc'], ['compact', 'f32acc']] as const) {
    it(`trains, records (${mode}, ${numeric}) and reads back the same log bytes as Node`, async () => {
      const run = { model: TINY, steps: 4, numeric, record: { mode, keyframeEvery: 2 } };
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setContent('<!doctype html><title>weft</title>');
      await page.addScriptTag({ content: await browserBundle() });
      const there = await page.evaluate((r) => {
        const out = (globalThis as unknown as { weft: { trainAndRecord: typeof trainAndRecord } }).weft.trainAndRecord(r);
        return { log: Array.from(out.log), steps: out.steps, recordedHash: out.recordedHash, rebuiltHash: out.rebuiltHash };
      }, run);
      await page.close();
      expect(errors).toEqual([]);
      const here = trainAndRecord(run);
      expect(there.steps).toBe(4);
      expect(there.rebuiltHash).toBe(there.recordedHash);
      expect(there.log.length).toBe(here.log.length);
      expect(Buffer.from(Uint8Array.from(there.log)).equals(Buffer.from(here.log)), `${mode} ${numeric} log written in Chromium differs from Node's`).toBe(true);
    });
  }
});
