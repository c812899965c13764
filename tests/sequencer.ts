// The order test files start in. Two workers take files from one queue, so the suite ends when
// the last file started ends: the long files must start first. vitest orders by the durations
// it cached from the last run, and without a cache — a clean clone, as CI is — by file size,
// which put a 25 s file last (a quarter of a minute on one core with the other idle). The files
// measured slowest start first, in this order; the rest as vitest orders them.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The slowest files of a clean run on 2 cores (vitest --reporter=json), slowest first. */
export const SLOW_FIRST = [
  'tests/package.test.ts',
  'tests/sweep/sweep.test.ts',
  'tests/cli/run.test.ts',
  'tests/browser/page.test.ts',
  'tests/cli/outputs.test.ts',
  'tests/engine/torch.test.ts',
  'tests/engine/grokking.test.ts',
  'tests/engine/runtimes.test.ts',
  'tests/cli/inspect.test.ts',
  'tests/kernels/f32acc.test.ts',
  'tests/log/fuzz.test.ts',
  'tests/kernels/fast.test.ts',
  'tests/cli/data-files.test.ts',
  'tests/diff/diff.test.ts',
  'tests/ci-recipe.test.ts',
  'tests/cli/safety.test.ts',
];

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.indexOf(relative(this.ctx.config.root, f.moduleId));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    const rest = await super.sort(files);
    // a stable sort: among the files not listed, vitest's own order
    return rest.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}
