import { UsageError } from '../errors.ts';
import type { Scenario } from '../engine/scenario.ts';
import type { Kernels } from '../kernels/types.ts';
import { captureGoldenRun, type GoldenFile } from './capture.ts';
import { checkExpectations, type ExpectationResult } from '../engine/scenario-run.ts';
import { compareGolden, type GoldenReport } from './compare.ts';
import { goldenFileOf, readGolden, writeGolden } from './store.ts';
import { scenarioArgument } from '../engine/scenarios.ts';
import { sep } from 'node:path';

export type { ExpectationResult };

export interface GoldenCheck {
  scenario: string;
  file: string;
  /** how the command line names the scenario from here (`baseline`, `./scenarios/mine.ts`): for the messages' commands */
  argument: string;
  status: 'match' | 'mismatch' | 'missing';
  report: GoldenReport | null;
  expectations: ExpectationResult[];
  actual: GoldenFile;
}

/** Runs a scenario's golden config and compares it with its golden file. */
export function checkGolden(s: Scenario, opts: { kernels?: Kernels; dir?: string } = {}): GoldenCheck {
  const file = goldenFileOf(s, opts.dir);
  const expected = readGolden(file);
  const { golden: actual, run } = captureGoldenRun(s, opts.kernels);
  const expectations = checkExpectations(s.expectations, run);
  const argument = scenarioArgument(s);
  if (!expected) return { scenario: s.name, file, argument, status: 'missing', report: null, expectations, actual };
  const report = compareGolden(expected, actual);
  return { scenario: s.name, file, argument, status: report.pass ? 'match' : 'mismatch', report, expectations, actual };
}

/** The command that accepts a check's result as the golden (`--snapshots DIR` when the golden is elsewhere). */
export function acceptCommand(c: Pick<GoldenCheck, 'argument'>, dir?: string): string {
  return `npx weft snapshot update ${c.argument}${dir ? ` --snapshots ${dir}` : ''}`;
}

export function refuseInCi(what: string): void {
  if (process.env.CI) throw new UsageError(`${what} refuses to run when CI is set: goldens change only by a reviewed, local update (run it without CI set, and commit the golden)`);
}

/** Writes a scenario's golden anew (never in CI); returns what changed. */
export function updateGolden(s: Scenario, opts: { dir?: string } = {}): GoldenCheck & { written: boolean } {
  refuseInCi('updating goldens');
  const c = checkGolden(s, opts);
  const written = c.status !== 'match';
  if (written) acceptGolden(c);
  return { ...c, written };
}

/**
 * Writes what a check found as the scenario's golden (keeping the tolerances the old one
 * declared) — never in CI, and never inside node_modules, where the next install would undo it.
 */
export function acceptGolden(c: GoldenCheck): void {
  refuseInCi('updating goldens');
  if (c.file.split(sep).includes('node_modules')) {
    throw new UsageError(`${c.scenario}: its golden ${c.file} is inside node_modules, where the next install would undo an update; copy the scenario into your project's scenarios/ for a golden of your own`);
  }
  writeGolden(c.file, c.actual, c.status === 'missing' ? null : readGolden(c.file));
}
