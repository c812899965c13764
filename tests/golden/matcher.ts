import { expect } from 'vitest';
import type { GoldenCheck } from '../../src/golden/check.ts';
import { formatReport } from '../../src/golden/compare.ts';
import { readGolden, writeGolden } from '../../src/golden/store.ts';

declare module 'vitest' {
  interface Assertion<T> {
    /** Passes when a golden check matched and its expectations hold; `vitest -u` rewrites the golden (never in CI). */
    toMatchGolden(name: string): T;
  }
}

/** vitest's update mode: 'all' with -u, 'new' locally, 'none' in CI. */
function updateMode(): string {
  const state = expect.getState() as { snapshotState?: { snapshotUpdateState?: string } };
  return state.snapshotState?.snapshotUpdateState ?? 'none';
}

expect.extend({
  toMatchGolden(received: GoldenCheck, name: string) {
    const accept = `npx weft snapshot update ${name}   (or: npx vitest run tests/golden.test.ts -u)`;
    const failedExpectations = received.expectations.filter((e) => !e.ok);
    const expectationText = failedExpectations.map((e) => `expectation failed: ${e.text}${e.error ? ` (${e.error})` : ''}`).join('\n');
    if (received.status === 'match' && !failedExpectations.length) return { pass: true, message: () => `golden ${name} matches` };
    if (received.status !== 'match' && updateMode() === 'all' && !process.env.CI) {
      writeGolden(received.file, received.actual, received.status === 'missing' ? null : readGolden(received.file));
      if (!failedExpectations.length) return { pass: true, message: () => `golden ${name} updated` };
    }
    if (received.status === 'missing') {
      return {
        pass: false,
        message: () => `golden ${name} is missing: ${received.file}\ncreate it (locally, never in CI) with: ${accept}${expectationText ? `\n${expectationText}` : ''}`,
      };
    }
    const r = received.report!;
    const rows = r.mismatches.slice(0, 8);
    return {
      pass: false,
      message: () => [received.status === 'match' ? `golden ${name}: matches` : formatReport(r, accept), expectationText].filter(Boolean).join('\n'),
      // vitest shows these as its −/+ diff under the message: only the lines that moved
      expected: rows.map((m) => `step ${m.step} ${m.field}${m.layer ? ` [${m.layer}]` : ''}: ${m.expected}`).join('\n'),
      actual: rows.map((m) => `step ${m.step} ${m.field}${m.layer ? ` [${m.layer}]` : ''}: ${m.actual}`).join('\n'),
    };
  },
});
