/**
 * weft's goldens in vitest (`import 'weft/vitest'`): `expect(scenario).toMatchGolden()` runs the
 * scenario's golden run and compares it with its golden, bit for bit, and checks its
 * expectations. `vitest -u` writes the golden anew — never when CI is set, where a missing or
 * different golden fails — and the failure names the first divergent step, field and layer, with
 * vitest's −/+ diff of the lines that moved and the commands that accept the change.
 */
import { relative } from 'node:path';
import { expect } from 'vitest';
import type { Scenario } from '../engine/scenario.ts';
import { acceptCommand, acceptGolden, checkGolden, type GoldenCheck } from './check.ts';
import { formatReport } from './compare.ts';

export interface GoldenMatcherOptions {
  /** keep the goldens in this folder, not `snapshots/` beside the scenario's package.json */
  snapshots?: string;
}

declare module 'vitest' {
  interface Assertion<T> {
    /** Passes when the scenario matches its golden and its expectations hold; `vitest -u` rewrites the golden (never in CI). */
    toMatchGolden(options?: GoldenMatcherOptions): T;
  }
}

/** vitest's update mode: 'all' with -u, 'new' locally, 'none' in CI. */
function updateMode(): string {
  const state = expect.getState() as { snapshotState?: { snapshotUpdateState?: string } };
  return state.snapshotState?.snapshotUpdateState ?? 'none';
}

function isCheck(x: unknown): x is GoldenCheck {
  return typeof x === 'object' && x !== null && 'status' in x && 'actual' in x;
}

expect.extend({
  toMatchGolden(received: Scenario | GoldenCheck, options: GoldenMatcherOptions = {}) {
    if (!isCheck(received) && !(received && typeof received === 'object' && 'config' in received && 'name' in received)) {
      return { pass: false, message: () => `toMatchGolden: expected a scenario (export default defineScenario({...})), got ${typeof received}` };
    }
    const c = isCheck(received) ? received : checkGolden(received, { dir: options.snapshots });
    const name = c.scenario;
    const testFile = (expect.getState() as { testPath?: string }).testPath;
    const accept = `${acceptCommand(c, options.snapshots)}   (or: npx vitest run ${testFile ? relative(process.cwd(), testFile) : ''} -u)`;
    const failedExpectations = c.expectations.filter((e) => !e.ok);
    const expectationText = failedExpectations.map((e) => `expectation failed: ${e.text}${e.error ? ` (${e.error})` : ''}`).join('\n');
    if (c.status === 'match' && !failedExpectations.length) return { pass: true, message: () => `golden ${name} matches` };
    if (c.status !== 'match' && updateMode() === 'all' && !process.env.CI) {
      acceptGolden(c);
      if (!failedExpectations.length) return { pass: true, message: () => `golden ${name} updated` };
    }
    // -u under CI: said, so that nobody reads the failure as -u not working
    const ciRefused = c.status !== 'match' && updateMode() === 'all' && process.env.CI ? `vitest -u did not rewrite golden ${name}: CI is set (goldens change only by a reviewed, local update; run it without CI set, and commit the golden)` : '';
    if (c.status === 'missing') {
      return {
        pass: false,
        message: () => [`golden ${name} is missing: ${c.file}\ncreate it (locally, never in CI) with: ${accept}`, ciRefused, expectationText].filter(Boolean).join('\n'),
      };
    }
    const r = c.report!;
    const rows = r.mismatches.slice(0, 8);
    return {
      pass: false,
      message: () => [c.status === 'match' ? `golden ${name}: matches` : formatReport(r, accept), ciRefused, expectationText].filter(Boolean).join('\n'),
      // vitest shows these as its −/+ diff under the message: only the lines that moved
      expected: rows.map((m) => `step ${m.step} ${m.field}${m.layer ? ` [${m.layer}]` : ''}: ${m.expected}`).join('\n'),
      actual: rows.map((m) => `step ${m.step} ${m.field}${m.layer ? ` [${m.layer}]` : ''}: ${m.actual}`).join('\n'),
    };
  },
});
