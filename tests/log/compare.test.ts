import { describe, expect, it } from 'vitest';
import { CAUSAL_ORDER, causalRank, firstStepDifference, type StepSide } from '../../src/log/compare.ts';
import { openLog } from '../../src/log/reader.ts';
import { config, MICRO, recordRun, tempDir } from './helpers.ts';
import { join } from 'node:path';

describe('the one comparator: first difference in causal order', () => {
  const path = join(tempDir(), 'h.weft');
  recordRun(path, config({ ...MICRO, steps: 1 }));
  const log = openLog(path);
  const h = log.header;
  log.close();
  const n = h.params.reduce((s, p) => s + p.size, 0);
  const base = (): StepSide => ({
    inputs: [1, 2, 3], targets: [2, 3, 4],
    masks: new Map(h.dropoutSites.map((s) => [s, Uint8Array.of(1, 0, 1)])),
    loss: 2.5, gradNormPerTensor: h.params.map(() => 1), gradNormGlobal: 3, clipFactor: 1,
    grads: new Float32Array(n), lr: 1e-3, m: new Float32Array(n), v: new Float32Array(n), params: new Float32Array(n),
    optimT: 1, stateHash: 'a'.repeat(32),
  });
  const opts = { sameArch: true, sameMoments: true };

  it('equal sides have no difference; −0 and +0 differ, NaN equals NaN', () => {
    expect(firstStepDifference(h, base(), base(), opts)).toBeNull();
    expect(firstStepDifference(h, base(), { ...base(), loss: NaN }, opts)).toMatchObject({ field: 'loss', stream: 'loss' });
    expect(firstStepDifference(h, { ...base(), loss: NaN }, { ...base(), loss: NaN }, opts)).toBeNull();
    expect(firstStepDifference(h, { ...base(), lr: 0 }, { ...base(), lr: -0 }, opts)).toMatchObject({ field: 'lr' });
  });

  it('of several differences, the causally first is reported, with its tensor or site and index', () => {
    const b = base();
    const last = h.params.at(-1)!;
    (b.params as Float32Array)[last.offset + 2] = 1; // the update …
    b.lr = 2e-3; // … and the lr that caused it
    expect(firstStepDifference(h, base(), b, opts)).toMatchObject({ stream: 'lr', field: 'lr', a: 1e-3, b: 2e-3 });
    b.lr = 1e-3;
    expect(firstStepDifference(h, base(), b, opts)).toMatchObject({ stream: 'weight', field: 'params', tensor: last.name, index: 2, a: 0, b: 1 });
    b.clipFactor = 0.5;
    (b.grads as Float32Array)[5] = 0.1;
    expect(firstStepDifference(h, base(), b, opts)).toMatchObject({ stream: 'clip', field: 'clipFactor' });
    b.masks!.get(h.dropoutSites[1])![1] = 1;
    expect(firstStepDifference(h, base(), b, opts)).toMatchObject({ stream: 'mask', field: 'masks', tensor: h.dropoutSites[1], index: 1 });
    expect(firstStepDifference(h, base(), { ...b, targets: [2, 3, 5] }, opts)).toMatchObject({ stream: 'batch', field: 'targets', index: 2 });
  });

  it('other architectures or optimizers: per-tensor figures and moments are not compared', () => {
    const b = { ...base(), gradNormPerTensor: h.params.map((_, i) => (i === 3 ? 2 : 1)), m: new Float32Array(n).fill(1) };
    expect(firstStepDifference(h, base(), b, opts)).toMatchObject({ field: 'gradNormPerTensor', tensor: h.params[3].name });
    expect(firstStepDifference(h, base(), b, { sameArch: false, sameMoments: true })).toBeNull();
    expect(firstStepDifference(h, base(), { ...b, gradNormPerTensor: base().gradNormPerTensor }, { sameArch: true, sameMoments: false })).toBeNull();
  });

  it('the causal order puts what a step reads before what it computes before what it writes', () => {
    const r = (f: string) => causalRank(f);
    expect(r('inputs')).toBeLessThan(r('masks'));
    expect(r('masks')).toBeLessThan(r('loss'));
    expect(r('loss')).toBeLessThan(r('gradNormGlobal'));
    expect(r('gradNorm.global')).toBe(r('gradNormGlobal')); // the goldens' name
    expect(r('gradNormGlobal')).toBeLessThan(r('clipFactor'));
    expect(r('clipFactor')).toBeLessThan(r('grads'));
    expect(r('m')).toBeLessThan(r('params'));
    expect(r('params')).toBeLessThan(r('stateHash'));
    expect(new Set(CAUSAL_ORDER.map((f) => f.field)).size).toBe(CAUSAL_ORDER.length);
  });
});
