import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { architectureOf } from '../../src/model/model.ts';
import type { GPT } from '../../src/model/gpt.ts';
import { initParams } from '../../src/model/init.ts';
import type { ModelConfig } from '../../src/model/params.ts';
import { kernelsFor } from '../../src/kernels/registry.ts';
import { numericModeOf } from '../../src/kernels/modes.ts';
import { dropoutMasks } from '../../src/rng/masks.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { IGNORED_TARGET, type Kernels } from '../../src/kernels/types.ts';

/**
 * A forward pass whose targets leave some rows without a loss runs the last block past its
 * attention, the final norm and the head on the loss rows only (src/model/gpt.ts). These tests
 * hold it to the full pass on every row, bit for bit: the loss, the logits and losses of the loss
 * rows, and every gradient — signs of zeros included — on random models, masks and kernels.
 */

const kernelSets: Record<string, Kernels> = {};
function kernels(mode: string, impl: 'reference' | 'fast', threads: number): Kernels {
  const key = `${mode}/${impl}/${threads}`;
  return (kernelSets[key] ??= kernelsFor(numericModeOf(mode as 'f64acc' | 'f32acc'), impl, threads));
}
afterAll(() => {
  for (const k of Object.values(kernelSets)) (k as Kernels & { close?: () => void }).close?.();
});

const bits = (a: ArrayLike<number>): Uint8Array => new Uint8Array(Float64Array.from(a).buffer);

interface Case {
  cfg: ModelConfig; B: number; T: number; mode: string; impl: 'reference' | 'fast'; threads: number;
  /** per row: carries a loss */
  counted: boolean[]; seed: number;
}

/** The loss, the logits and losses at the loss rows, and the gradients, packed or on every row. */
function pass(c: Case, pack: boolean): { loss: number; logits: Uint8Array; losses: Uint8Array; grads: Uint8Array } {
  const arch = architectureOf(c.cfg.arch);
  const dtype = c.mode === 'f32acc' ? 'float32' : 'float64';
  const model = arch.create(c.cfg, kernels(c.mode, c.impl, c.threads), dtype, c.B, c.T) as GPT;
  model.packLossRows = pack;
  initParams(model.params, model.table, c.cfg, c.seed);
  const r = keyedStream(c.seed, 'test/loss-rows');
  // norm gains and biases start at 1 and 0: perturbed, their gradients are generic
  for (let i = 0; i < model.params.length; i++) model.params[i] += 0.05 * r.normal();
  const N = c.B * c.T;
  const inputs = new Int32Array(N);
  const targets = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    inputs[i] = r.int(c.cfg.vocabSize);
    targets[i] = c.counted[i] ? r.int(c.cfg.vocabSize) : IGNORED_TARGET;
  }
  const masks = dropoutMasks(c.seed, 1, arch.dropoutSites(c.cfg), arch.maskElements(c.cfg, c.B, c.T), c.cfg.dropout);
  // twice: the second pass reuses the packed buffers, and a stale row would show
  model.forward(inputs, targets, masks);
  model.backward();
  const loss = model.forward(inputs, targets, masks);
  model.backward();
  const V = c.cfg.vocabSize;
  const liveLogits: number[] = [];
  const liveLosses: number[] = [];
  for (let i = 0; i < N; i++) {
    if (!c.counted[i]) continue;
    for (let v = 0; v < V; v++) liveLogits.push(model.lastLogits[i * V + v]);
    liveLosses.push((model as unknown as { losses: Float64Array }).losses[i]);
  }
  return { loss, logits: bits(liveLogits), losses: bits(liveLosses), grads: bits(model.grads) };
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    arch: fc.constantFrom('gpt', 'gpt-rms'),
    nLayers: fc.integer({ min: 1, max: 3 }),
    nHeads: fc.constantFrom(1, 2, 4),
    layerNorm: fc.boolean(), residual: fc.boolean(), mlp: fc.boolean(), bias: fc.boolean(),
    posEmb: fc.boolean(), tieEmbeddings: fc.boolean(),
    dropout: fc.constantFrom(0, 0.25),
    activation: fc.constantFrom('gelu' as const, 'relu' as const, 'tanh' as const),
    B: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 2, max: 7 }),
    mode: fc.constantFrom('f64acc', 'f32acc'),
    kernel: fc.constantFrom(['reference', 1] as const, ['fast', 1] as const, ['fast', 2] as const),
    // the loss mask: answer-only (the last position), a random one, or losses only before the
    // rows without one (rows no loss row attends to: their gradients are zero all the way down)
    mask: fc.constantFrom('answer', 'random', 'prefix'),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map((p) => {
    const cfg: ModelConfig = {
      arch: p.arch, nLayers: p.nLayers, nHeads: p.nHeads, dModel: 8 * p.nHeads, dFF: 24, vocabSize: 11, contextLength: 8,
      residual: p.residual, layerNorm: p.layerNorm, dropout: p.dropout, activation: p.activation, initStd: 0.3, initScheme: 'gpt2',
      // gpt-rms has no biases
      bias: p.arch === 'gpt-rms' ? false : p.bias, mlp: p.mlp, posEmb: p.posEmb, tieEmbeddings: p.tieEmbeddings,
    };
    const r = keyedStream(p.seed, 'test/loss-rows/mask');
    const N = p.B * p.T;
    const counted = Array.from({ length: N }, (_, i) => {
      const t = i % p.T;
      return p.mask === 'answer' ? t === p.T - 1 : p.mask === 'prefix' ? t < p.T / 2 : r.int(3) === 0;
    });
    // at least one row with a loss and one without (otherwise nothing is packed); answer and
    // prefix have both at T ≥ 2
    if (p.mask === 'random') {
      counted[0] = true;
      counted[N - 1] = false;
    }
    return { cfg, B: p.B, T: p.T, mode: p.mode, impl: p.kernel[0], threads: p.kernel[1], counted, seed: p.seed };
  });

describe('the loss rows alone (a task\'s loss mask)', () => {
  it('give the full pass\'s loss, logits and gradients, bit for bit', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const packed = pass(c, true);
        const full = pass(c, false);
        expect(Object.is(packed.loss, full.loss)).toBe(true);
        expect(packed.logits).toEqual(full.logits);
        expect(packed.losses).toEqual(full.losses);
        expect(packed.grads).toEqual(full.grads);
      }),
      { numRuns: 60, seed: 26 },
    );
  });

  it('are the full pass for an answer-only task on the grokking model\'s shape', () => {
    const cfg: ModelConfig = {
      arch: 'gpt', nLayers: 1, nHeads: 4, dModel: 32, dFF: 128, vocabSize: 34, contextLength: 4,
      residual: true, layerNorm: false, dropout: 0, activation: 'relu', initStd: 0.1, initScheme: 'gpt2',
      bias: true, mlp: true, posEmb: true, tieEmbeddings: false,
    };
    const B = 16;
    const T = 4;
    const counted = Array.from({ length: B * T }, (_, i) => i % T === T - 1);
    for (const mode of ['f64acc', 'f32acc']) {
      const c: Case = { cfg, B, T, mode, impl: 'fast', threads: 2, counted, seed: 5 };
      const packed = pass(c, true);
      const full = pass(c, false);
      expect(packed.grads).toEqual(full.grads);
      expect(Object.is(packed.loss, full.loss)).toBe(true);
    }
  });

  it('leave the rows without a loss at logits 0 and loss 0, and the full pass when every row counts', () => {
    const cfg: ModelConfig = {
      arch: 'gpt', nLayers: 2, nHeads: 2, dModel: 16, dFF: 32, vocabSize: 9, contextLength: 4,
      residual: true, layerNorm: true, dropout: 0, activation: 'gelu', initStd: 0.2, initScheme: 'gpt2',
      bias: true, mlp: true, posEmb: true, tieEmbeddings: false,
    };
    const model = architectureOf('gpt').create(cfg, kernels('f64acc', 'reference', 1), 'float64', 1, 4) as GPT;
    initParams(model.params, model.table, cfg, 3);
    model.forward(Int32Array.of(1, 2, 3, 4), Int32Array.of(2, 3, 4, 5), null);
    const everyRow = Float64Array.from(model.lastLogits);
    expect(everyRow.every((v) => v !== 0)).toBe(true);
    model.forward(Int32Array.of(1, 2, 3, 4), Int32Array.of(IGNORED_TARGET, 3, IGNORED_TARGET, IGNORED_TARGET), null);
    const V = cfg.vocabSize;
    expect(Array.from(model.lastLogits.subarray(V, 2 * V))).toEqual(Array.from(everyRow.subarray(V, 2 * V)));
    for (const row of [0, 2, 3]) expect(Array.from(model.lastLogits.subarray(row * V, (row + 1) * V)).every((v) => v === 0)).toBe(true);
  });
});
