import { describe, expect, it } from 'vitest';
import { GPT } from '../../src/model/gpt.ts';
import { architectureOf } from '../../src/model/model.ts';
import { initParams } from '../../src/model/init.ts';
import type { ModelConfig } from '../../src/model/params.ts';
import { referenceKernels } from '../../src/kernels/reference.ts';
import { dropoutMasks } from '../../src/rng/masks.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { IGNORED_TARGET, type Activation, type Kernels } from '../../src/kernels/types.ts';

/** Reference kernels that fingerprint which activation inputs are > 0 (ReLU's kinks). */
function signTrackingKernels(): { kernels: Kernels; pattern: () => string } {
  let bits: number[] = [];
  const kernels: Kernels = {
    ...referenceKernels,
    activationForward(kind, out, inp, n) {
      if (kind === 'relu') {
        let h = 0;
        for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + (inp[i] > 0 ? 1 : 0)) | 0;
        bits.push(h);
      }
      referenceKernels.activationForward(kind, out, inp, n);
    },
  };
  return { kernels, pattern: () => { const p = bits.join(','); bits = []; return p; } };
}

// The tiny config with a short batch (the gradient formulas do not depend on B or T).
const B = 2;
const T = 6;
const base: ModelConfig = {
  arch: 'gpt', nLayers: 2, nHeads: 4, dModel: 32, dFF: 128, vocabSize: 64, contextLength: 16,
  residual: true, layerNorm: true, dropout: 0.1, activation: 'gelu', initStd: 0.1, initScheme: 'gpt2',
  bias: true, mlp: true, posEmb: true, tieEmbeddings: false,
};

/**
 * Analytic gradients vs a 5-point central difference in float64
 * (f'(x) ≈ (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h, truncation O(h⁴)).
 * For each tensor: its largest-|g| element and 3 random elements with |g| ≥ 1% of that.
 */
function gradCheck(cfg: ModelConfig, counted: (t: number) => boolean = () => true): { worst: number; where: string; checked: number; skipped: number; tensors: string[] } {
  const tracker = signTrackingKernels();
  const arch = architectureOf(cfg.arch);
  const model = arch.create(cfg, tracker.kernels, 'float64', B, T);
  initParams(model.params, model.table, cfg, 7);
  // layer norm gains and all biases start at 1 and 0; perturb them so their gradients are generic
  const r = keyedStream(7, 'test/perturb');
  for (let i = 0; i < model.params.length; i++) model.params[i] += 0.05 * r.normal();
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let i = 0; i < B * T; i++) {
    inputs[i] = r.int(cfg.vocabSize);
    targets[i] = r.int(cfg.vocabSize);
    // the loss mask: a target not counted is PyTorch's ignore_index
    if (!counted(i % T)) targets[i] = IGNORED_TARGET;
  }
  const masks = dropoutMasks(3, 1, arch.dropoutSites(cfg), arch.maskElements(cfg, B, T), cfg.dropout);
  model.forward(inputs, targets, masks);
  model.backward();
  const grads = Float64Array.from(model.grads);
  const f = () => model.forward(inputs, targets, masks);
  // ReLU is not differentiable at 0: a small step avoids its kinks, and a stencil that still
  // crosses one (the sign pattern changes) is skipped rather than compared.
  const h = cfg.activation === 'relu' ? 1e-4 : 1e-3;
  let worst = 0;
  let where = '';
  let checked = 0;
  let skipped = 0;
  for (const t of model.table.tensors) {
    let argmax = t.offset;
    for (let i = t.offset; i < t.offset + t.size; i++) if (Math.abs(grads[i]) > Math.abs(grads[argmax])) argmax = i;
    const gmax = Math.abs(grads[argmax]);
    expect(gmax, `${t.name} has an all-zero gradient`).toBeGreaterThan(0);
    // candidates: the largest-|g| element, then random elements with |g| ≥ 10% of it
    let checkedHere = 0;
    const seen = new Set<number>();
    for (let tries = 0; checkedHere < 4 && tries < 2000; tries++) {
      const i = tries === 0 ? argmax : t.offset + r.int(t.size);
      if (seen.has(i) || Math.abs(grads[i]) < 0.1 * gmax) continue;
      seen.add(i);
      const x = model.params[i];
      tracker.pattern();
      f();
      const p0 = tracker.pattern();
      let crossed = false;
      const at = (d: number) => {
        model.params[i] = x + d;
        const l = f();
        if (tracker.pattern() !== p0) crossed = true;
        return l;
      };
      const numeric = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
      model.params[i] = x;
      if (crossed) {
        skipped++;
        continue;
      }
      const rel = Math.abs(grads[i] - numeric) / Math.max(Math.abs(grads[i]), Math.abs(numeric));
      checked++;
      checkedHere++;
      if (rel > worst) {
        worst = rel;
        where = `${t.name}[${i - t.offset}] analytic ${grads[i]} numeric ${numeric}`;
      }
    }
    expect(checkedHere, `${t.name}: fewer than 4 elements could be checked`).toBeGreaterThanOrEqual(Math.min(4, t.size));
  }
  return { worst, where, checked, skipped, tensors: model.table.tensors.map((t) => t.name) };
}

describe('gradients match central finite differences in float64 (rel. error ≤ 1e-6)', () => {
  const cases: [boolean, boolean, Activation][] = [];
  for (const residual of [true, false]) for (const layerNorm of [true, false]) for (const act of ['gelu', 'relu', 'tanh'] as const) cases.push([residual, layerNorm, act]);
  it.each(cases)('residual=%s layerNorm=%s activation=%s', (residual, layerNorm, activation) => {
    const { worst, where, checked, skipped } = gradCheck({ ...base, residual, layerNorm, activation });
    if (activation !== 'relu') expect(skipped).toBe(0);
    expect(checked).toBe(4 * (layerNorm ? 30 : 20)); // 4 elements of every tensor
    expect(worst, where).toBeLessThanOrEqual(1e-6);
  });

  // the toggles and gpt-rms, on the tiny model (2 layers): tensors that are off are not in the
  // table, and every tensor that is has its gradient checked
  const toggles: [string, Partial<ModelConfig>, number][] = [
    ['bias=false', { bias: false }, 16],
    ['mlp=false (attention only)', { mlp: false }, 18],
    ['posEmb=false', { posEmb: false }, 29],
    ['tieEmbeddings=true', { tieEmbeddings: true }, 29],
    ['all four off/on at once, relu, no residual', { bias: false, mlp: false, posEmb: false, tieEmbeddings: true, residual: false, activation: 'relu' }, 8],
    ['gpt-rms', { arch: 'gpt-rms', bias: false }, 16],
    ['gpt-rms, tanh, no MLP, tied', { arch: 'gpt-rms', bias: false, activation: 'tanh', mlp: false, tieEmbeddings: true }, 9],
    ['gpt-rms without norms', { arch: 'gpt-rms', bias: false, layerNorm: false }, 11],
  ];
  it.each(toggles)('%s', (_name, over, tensors) => {
    const cfg = { ...base, ...over };
    const r = gradCheck(cfg);
    expect(r.tensors).toHaveLength(tensors);
    if (cfg.activation !== 'relu') expect(r.skipped).toBe(0);
    expect(r.checked).toBe(4 * tensors);
    expect(r.worst, r.where).toBeLessThanOrEqual(1e-6);
  });

  it('with a loss mask (ignored targets: an answer-only task counts positions 2 and 5 of 6)', () => {
    const { worst, where, checked } = gradCheck(base, (t) => t === 2 || t === T - 1);
    expect(checked).toBe(4 * 30);
    expect(worst, where).toBeLessThanOrEqual(1e-6);
  });

  it('the masked loss is the mean of the counted positions\' losses, exactly (summed in ascending order, divided by their count)', () => {
    const model = new GPT(base, referenceKernels, 'float64', B, T);
    initParams(model.params, model.table, base, 7);
    const r = keyedStream(9, 'test/mask');
    const inputs = Int32Array.from({ length: B * T }, () => r.int(base.vocabSize));
    const targets = Int32Array.from({ length: B * T }, () => r.int(base.vocabSize));
    const isCounted = (i: number) => i % T === T - 1;
    model.forward(inputs, targets, null);
    const all = Float64Array.from(model.losses);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < B * T; i++) {
      if (!isCounted(i)) continue;
      sum += all[i];
      n++;
    }
    const masked = Int32Array.from(targets, (t, i) => (isCounted(i) ? t : IGNORED_TARGET));
    expect(Object.is(model.forward(inputs, masked, null), sum / n)).toBe(true);
  });

  it('a wrong gradient is caught (the check can fail)', () => {
    const cfg = { ...base };
    const model = new GPT(cfg, referenceKernels, 'float64', B, T);
    initParams(model.params, model.table, cfg, 7);
    const inputs = new Int32Array(B * T).fill(1);
    const targets = new Int32Array(B * T).fill(2);
    model.forward(inputs, targets, null);
    model.backward();
    const i = model.table.byName.get('head.bias')!.offset + 2;
    const analytic = model.grads[i] * (1 + 1e-5);
    const h = 1e-4;
    const at = (d: number) => { model.params[i] += d; const l = model.forward(inputs, targets, null); model.params[i] -= d; return l; };
    const numeric = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
    expect(Math.abs(analytic - numeric) / Math.abs(numeric)).toBeGreaterThan(1e-6);
  });
});
