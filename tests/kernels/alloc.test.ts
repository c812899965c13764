// A kernel set's `alloc` hands out +0s whenever it is called: a model's stand-in zeros (an absent
// bias or positional embedding) and an optimizer's first moments are read before anything writes
// them. The fast sets allocate from a bump pointer over memory that their calls' scratch reuses,
// so an allocation after a call used to return that scratch's bytes: a second model on one set
// then trained on garbage in place of its zeros.
import { afterAll, describe, expect, it } from 'vitest';
import { kernelsFor, KERNEL_IMPLEMENTATIONS, numericModes } from '../../src/kernels/registry.ts';
import type { Kernels } from '../../src/kernels/types.ts';
import { architectureOf } from '../../src/model/model.ts';
import { initParams } from '../../src/model/init.ts';
import type { ModelConfig } from '../../src/model/params.ts';

const sets: Kernels[] = [];
afterAll(() => {
  for (const k of sets) (k as Kernels & { close?: () => void }).close?.();
});

/** No bias and no positional embedding: both read the model's zeros. */
const small: ModelConfig = {
  arch: 'gpt', nLayers: 1, nHeads: 1, dModel: 8, dFF: 24, vocabSize: 11, contextLength: 8,
  residual: true, layerNorm: true, dropout: 0, activation: 'gelu', initStd: 0.3, initScheme: 'gpt2',
  bias: false, mlp: true, posEmb: false, tieEmbeddings: false,
};
const larger: ModelConfig = { ...small, nLayers: 2, nHeads: 4, dModel: 32, bias: true, posEmb: true };

function loss(cfg: ModelConfig, k: Kernels, B: number, T: number): number {
  const dtype = k.mode.includes('f32') ? 'float32' : 'float64';
  const m = architectureOf(cfg.arch).create(cfg, k, dtype, B, T);
  initParams(m.params, m.table, cfg, 992);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (3 * i + 1) % cfg.vocabSize);
  const l = m.forward(ids, ids, null);
  m.backward();
  return l;
}

describe('alloc after kernel calls', () => {
  for (const mode of numericModes()) {
    for (const impl of KERNEL_IMPLEMENTATIONS) {
      it(`${mode} ${impl}: all zeros, and a second model computes as on a fresh set`, () => {
        const fresh = kernelsFor(mode, impl, 1);
        const used = kernelsFor(mode, impl, 1);
        sets.push(fresh, used);
        loss(larger, used, 1, 6); // calls that take scratch from the bump pointer
        for (const dtype of ['float32', 'float64'] as const) expect(Array.from(used.alloc(dtype, 4096)).every((v) => Object.is(v, 0))).toBe(true);
        expect(used.allocBytes(4096).every((v) => v === 0)).toBe(true);
        expect(loss(small, used, 2, 2)).toBe(loss(small, fresh, 2, 2));
      });
    }
  }
});
