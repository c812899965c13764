import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

/**
 * DESIGN rule 1: the same scenario and seed give a byte-identical log on every supported runtime.
 * WEFT_OTHER_NODES lists other Node binaries (colon-separated); .ci/run fetches Node 22 from the
 * npm registry and sets it, so CI always runs this. Elsewhere it runs when the variable is set.
 */
const listed = (process.env.WEFT_OTHER_NODES ?? '').split(':').filter((p) => p);
const others = listed.filter((p) => existsSync(p));

// in CI a missing runtime is a failure, not a skip: the rule would otherwise go untested
describe.runIf(process.env.CI)('CI provides the other runtimes', () => {
  it('WEFT_OTHER_NODES names binaries that exist', () => {
    expect(listed.length, 'WEFT_OTHER_NODES is not set (.ci/run sets it)').toBeGreaterThan(0);
    expect(listed.filter((p) => !existsSync(p)), 'these WEFT_OTHER_NODES binaries do not exist').toEqual([]);
  });
});

describe.skipIf(others.length === 0)('logs are byte-identical across runtimes', () => {
  it.each(others)('%s writes the same log as this Node, in every recording mode', (node) => {
    const dir = tempDir();
    for (const mode of ['full', 'compact']) {
      const here = join(dir, `here-${mode}.weft`);
      const there = join(dir, `there-${mode}.weft`);
      const args = ['run', 'baseline', ...TINY_SETS, '--steps', '6', '--record', mode, '--quiet'];
      expect(weft([...args, '--out', here]).code).toBe(0);
      const r = spawnSync(node, [`${ROOT}/bin/weft.mjs`, ...args, '--out', there], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
      expect(readFileSync(there).equals(readFileSync(here)), `${mode} log under ${version} differs from ${process.version}'s`).toBe(true);
    }
  });
});
