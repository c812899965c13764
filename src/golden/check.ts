import { UsageError } from '../errors.ts';
import type { Scenario } from '../engine/scenario.ts';
import type { Kernels } from '../kernels/types.ts';
import { captureGoldenRun, type GoldenFile } from './capture.ts';
import { compareGolden, type GoldenReport } from './compare.ts';
import { goldenPath, readGolden, writeGolden } from './store.ts';

export interface ExpectationResult {
  text: string;
  ok: boolean;
  error?: string;
}

export interface GoldenCheck {
  scenario: string;
  file: string;
  status: 'match' | 'mismatch' | 'missing';
  report: GoldenReport | null;
  expectations: ExpectationResult[];
  actual: GoldenFile;
}

function evaluate(s: Scenario, run: ReturnType<typeof captureGoldenRun>['run']): ExpectationResult[] {
  return s.expectations.map((e) => {
    try {
      return { text: e.text, ok: Boolean(e.check(run)) };
    } catch (err) {
      return { text: e.text, ok: false, error: (err as Error).message };
    }
  });
}

/** Runs a scenario's golden config and compares it with its golden file. */
export function checkGolden(s: Scenario, opts: { kernels?: Kernels; dir?: string } = {}): GoldenCheck {
  const file = goldenPath(s.name, opts.dir);
  const expected = readGolden(file);
  const { golden: actual, run } = captureGoldenRun(s, opts.kernels);
  const expectations = evaluate(s, run);
  if (!expected) return { scenario: s.name, file, status: 'missing', report: null, expectations, actual };
  const report = compareGolden(expected, actual);
  return { scenario: s.name, file, status: report.pass ? 'match' : 'mismatch', report, expectations, actual };
}

export function refuseInCi(what: string): void {
  if (process.env.CI) throw new UsageError(`${what} refuses to run when CI is set: goldens change only by a reviewed, local update`);
}

/** Writes a scenario's golden anew (never in CI); returns what changed. */
export function updateGolden(s: Scenario, opts: { dir?: string } = {}): GoldenCheck & { written: boolean } {
  refuseInCi('updating goldens');
  const c = checkGolden(s, opts);
  const previous = c.status === 'missing' ? null : readGolden(c.file);
  const written = c.status !== 'match';
  if (written) writeGolden(c.file, c.actual, previous);
  return { ...c, written };
}
