// weft in a web page: the bundle (scripts/build-browser.ts) trains the tiny model in headless
// Chromium, records it into memory, reads the log back and rebuilds its last state — and the
// log's bytes are the ones Node writes for the same run; it samples from a state it trained, and
// writes what Node writes for that state.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { browserBundle } from '../../scripts/build-browser.ts';
import { sampleFrom, trainAndRecord } from '../../src/browser/page.ts';
import { TINY } from '../../src/config/config.ts';
import type { SampleOptions } from '../../src/replay/sample.ts';
import { weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

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

  it('samples from a state it trained, greedy and seeded, at the last step and an earlier one: the same bytes as Node (and weft sample --json) for that state', async () => {
    const run = { model: TINY, steps: 3, record: { mode: 'full' as const, keyframeEvery: 2 } };
    const prompt = 'The scientists published their';
    const cases: (SampleOptions & { at?: number })[] = [{ tokens: 14 }, { tokens: 14, temperature: 0.8, seed: 3 }, { tokens: 20, temperature: 1.2, topK: 10, topP: 0.9, seed: 5, at: 1 }];
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent('<!doctype html><title>weft</title>');
    await page.addScriptTag({ content: await browserBundle() });
    const there = await page.evaluate(([r, p, c]) => {
      const w = (globalThis as unknown as { weft: { trainAndRecord: typeof trainAndRecord; sampleFrom: typeof sampleFrom } }).weft;
      const out = w.trainAndRecord(r);
      return c.map((o) => JSON.stringify(w.sampleFrom(out, p, o)));
    }, [run, prompt, cases] as const);
    await page.close();
    expect(errors).toEqual([]);
    const here = trainAndRecord(run);
    const node = cases.map((o) => JSON.stringify(sampleFrom(here, prompt, o)));
    expect(there).toEqual(node);
    // not vacuous: the greedy text and the seeded one differ, and the earlier step writes otherwise
    const texts = there.map((j) => JSON.parse(j).continuation);
    expect(new Set(texts).size).toBe(3);
    expect(JSON.parse(there[2]).step).toBe(1);
    // the CLI on the log Node wrote (the page's bytes, tested above): the same sample
    const file = join(tempDir(), 'page.weft');
    writeFileSync(file, here.log);
    const cli = weft(['sample', file, '--prompt', prompt, '--tokens', '14', '--temperature', '0.8', '--seed', '3', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(cli.stdout))).toBe(there[1]);
  }, 120_000);
});
