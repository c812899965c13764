import { defineConfig } from 'vitest/config';
import SlowFirst from './tests/sequencer.ts';

export default defineConfig({
  // the tests test the sources: `import … from 'weft'` is src/index.ts here (the package's
  // compiled dist/ is tested by tests/package.test.ts through npm pack)
  resolve: { alias: { weft: new URL('./src/index.ts', import.meta.url).pathname } },
  test: {
    include: ['tests/**/*.test.ts'],
    // only a hang may reach these, never a slow machine (tests/helpers.ts PATIENCE_MS)
    testTimeout: 20 * 60_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    // one process per worker for all its files, not one per file: each file's imports of src/
    // were a fresh transform and load (≈ 0.5 s a file, 80 files); no test leaves module state
    // changed that another reads (a test that registers a data kind removes it again; --threads and
    // --kernels are CLI flags)
    isolate: false,
    // two test files at a time on two cores (vitest's default leaves one idle): many tests wait on
    // child processes, and none shares files with another (each writes in its own temp folder)
    maxWorkers: 2,
    sequence: { sequencer: SlowFirst },
  },
});
