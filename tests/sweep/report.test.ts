import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { sweep, sweepReportData, sweepReportHtml } from '../../src/index.ts';
import { lossAcrossRuns, spread } from '../../src/sweep/report.ts';
import type { SweepManifest } from '../../src/sweep/manifest.ts';
import { tempDir } from '../log/helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (process.env.CI && !CHROMIUM) throw new Error('CI is set but no Chromium was found: .ci/run must install it');

describe('the loss across a setting’s runs', () => {
  it('is per step over the runs that reached it, reading each run’s steps a bounded number of times', () => {
    let reads = 0;
    /** The array, counting the reads of its elements. */
    const counted = (xs: number[]) => new Proxy(xs, { get: (t, k, r) => (typeof k === 'string' && /^\d+$/.test(k) && reads++, Reflect.get(t, k, r)) });
    const steps = 2000;
    const curve = (n: number, offset: number) => ({ steps: counted(Array.from({ length: n }, (_, i) => i + 1)), loss: Array.from({ length: n }, (_, i) => offset + 1 / (i + 1)) });
    // a run that stopped at step 1000 (diverged) counts only where it got to
    const loss = lossAcrossRuns([curve(steps, 0), curve(steps, 2), curve(1000, 1)]);
    expect(loss).toHaveLength(steps);
    expect(loss[0]).toEqual({ step: 1, median: 2, lo: 1, hi: 3, runs: 3 });
    expect(loss[999]).toEqual({ step: 1000, median: 1.001, lo: 0.001, hi: 2.001, runs: 3 });
    expect(loss[1000]).toEqual({ step: 1001, median: 1 + 1 / 1001, lo: 1 / 1001, hi: 2 + 1 / 1001, runs: 2 });
    // linear: a search of each run's steps per step reads ≈ steps²/2 = 2,000,000 elements per run
    expect(reads).toBeLessThanOrEqual(2 * (steps + steps + 1000));
  });
});

describe('the sweep report', () => {
  const dir = tempDir();
  let manifest: SweepManifest;

  beforeAll(async () => {
    // through the programmatic API, as a user's own driver would
    manifest = await sweep({ scenario: 'no-residuals', model: 'tiny', steps: 8, seeds: [1, 2, 3], grid: [{ key: 'model.residual', values: ['true', 'false'] }], sets: [] }, { out: dir, jobs: 2, shard: null });
  });

  it('groups runs by setting: medians and spreads across seeds are those of the runs', () => {
    expect(manifest.runs).toHaveLength(6);
    expect(manifest.runs.every((r) => r.status === 'complete')).toBe(true);
    const d = sweepReportData(dir);
    expect(d.groups.map((g) => [g.name, g.seeds])).toEqual([['model.residual=false', [1, 2, 3]], ['model.residual=true', [1, 2, 3]]]);
    for (const g of d.groups) {
      const finals = manifest.runs.filter((r) => g.runs.includes(r.id)).map((r) => r.finalLoss as number);
      const last = g.loss[g.loss.length - 1];
      expect([last.step, last.median, last.lo, last.hi]).toEqual([8, ...Object.values(spread(finals)!)]);
      expect(last.lo).toBeLessThan(last.hi); // three seeds, three losses
    }
    expect(spread([3, 1, 2, NaN, 10])).toEqual({ median: 2.5, lo: 1, hi: 10 });
  });

  describe.skipIf(!CHROMIUM)('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('draws every run and each setting’s median and band; the table sorts by any column', async () => {
      const file = join(dir, 'report.html');
      writeFileSync(file, sweepReportHtml(sweepReportData(dir)));
      const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('request', (r) => !r.url().startsWith('file:') && requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      expect(await page.$$eval('#sweep-loss path.series', (ps) => ps.length)).toBe(6 + 2);
      expect(await page.$$eval('#sweep-loss path.band', (ps) => ps.map((p) => p.getAttribute('data-series')))).toEqual(['model.residual=false', 'model.residual=true']);
      expect(await page.$$eval('#sweep-loss text.legend', (ts) => ts.map((t) => t.textContent))).toEqual(['model.residual=false', 'model.residual=true']);
      expect(await page.$$eval('#sweep-profile path.series', (ps) => ps.length)).toBe(2);
      const column = (i: number) => page.$$eval(`table.runs tbody tr td:nth-child(${i})`, (tds) => tds.map((td) => (td as HTMLElement).dataset.value!));
      const headers = await page.$$eval('table.runs th', (ths) => ths.map((t) => t.textContent));
      const loss = headers.indexOf('final loss') + 1;
      await page.click(`table.runs th:nth-child(${loss})`);
      const up = (await column(loss)).map(Number);
      expect(up).toEqual([...up].sort((a, b) => a - b));
      await page.click(`table.runs th:nth-child(${loss})`);
      const down = (await column(loss)).map(Number);
      expect(down).toEqual([...up].reverse());
      await page.click('table.runs th:nth-child(1)');
      const ids = await column(1);
      expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    });
  });
});
