import { defineConfig } from 'vitest/config';

export default defineConfig({
  // the tests test the sources: `import … from 'weft'` is src/index.ts here (the package's
  // compiled dist/ is tested by tests/package.test.ts through npm pack)
  resolve: { alias: { weft: new URL('./src/index.ts', import.meta.url).pathname } },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
