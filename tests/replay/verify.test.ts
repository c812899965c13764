import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY } from '../../src/config/config.ts';
import { weft } from '../helpers.ts';
import { config, recordRun, recordTwin, tempDir } from '../log/helpers.ts';

const dir = tempDir();
const cfg = (mode: 'full' | 'compact' | 'summary') => config({ model: TINY, steps: 8, record: { mode, keyframeEvery: 4 } });

describe('weft verify', () => {
  it.each(['full', 'compact', 'summary'] as const)('%s: a faithful log verifies (exit 0)', (mode) => {
    const path = join(dir, `${mode}.weft`);
    recordRun(path, cfg(mode));
    const r = weft(['verify', path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, stepsChecked: 8, arraysChecked: mode !== 'summary' });
  });

  it('a log with one element altered at step 5: exit 1, naming step, field, tensor, element and both values', () => {
    const path = join(dir, 'twin.weft');
    recordTwin(path, cfg('full'), 5, 'blocks.1.mlp.fc.weight', 77);
    const r = weft(['verify', path, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.stepsChecked).toBe(4);
    expect(j.mismatch).toMatchObject({ step: 5, field: 'params', tensor: 'blocks.1.mlp.fc.weight', index: 77 });
    expect(j.mismatch.recorded).not.toBe(j.mismatch.recomputed);
    const text = weft(['verify', path, '--quiet']);
    expect(text.stdout).toMatch(/differs at step 5, params blocks\.1\.mlp\.fc\.weight\[77\]: recorded .*, recomputed /);
  });

  it('summary logs: the altered state shows in the step hash', () => {
    const path = join(dir, 'twin-summary.weft');
    recordTwin(path, cfg('summary'), 3, 'head.bias', 2);
    const r = weft(['verify', path, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).mismatch).toMatchObject({ step: 3, field: 'stateHash' });
  });
});

describe('weft verify on a run that stopped on NaN/Inf', () => {
  it('re-executes up to the anomaly and checks that it recurs at the same step and tensor', async () => {
    const { tinyConfig } = await import('../helpers.ts');
    const path = join(dir, 'exploding.weft');
    recordRun(path, await tinyConfig('exploding-gradients', 60));
    const r = weft(['verify', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/reproduced — \d+ steps re-executed, every array and state hash equal, and the NaN\/Inf at step \d+ recurs/);
  });
});
