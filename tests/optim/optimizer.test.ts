import { describe, expect, it } from 'vitest';
import { createOptimState, optimizerStep } from '../../src/optim/registry.ts';
import type { OptimConfig } from '../../src/optim/optimizer.ts';
import { clipFactor, gradNorms } from '../../src/optim/clip.ts';
import { lrAt } from '../../src/optim/schedule.ts';
import { buildParamTable } from '../../src/model/gpt.ts';
import { TINY, DEFAULT_CONFIG } from '../../src/config/config.ts';

const base: OptimConfig = { kind: 'sgd', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, momentum: 0.9 };
const p0 = [1.0, -2.0];
const gradsSeq = [[0.5, -0.25], [0.1, 0.3], [-0.4, 0.2]];

function run(o: OptimConfig): number[][] {
  const p = Float64Array.from(p0);
  const s = createOptimState(o.kind, 'float64', 2);
  return gradsSeq.map((g) => {
    optimizerStep(o, o.lr, p, Float64Array.from(g), s);
    return Array.from(p);
  });
}

// Expected values come from the textbook formulas written out here, not from the code under test.
describe('optimizers follow torch.optim semantics', () => {
  it('sgd with weight decay: p ← p − lr·(g + wd·p)', () => {
    const got = run({ ...base, kind: 'sgd', weightDecay: 0.01 });
    let p = p0.slice();
    for (const [k, g] of gradsSeq.entries()) {
      p = p.map((x, i) => x - 0.1 * (g[i] + 0.01 * x));
      expect(got[k]).toEqual(p);
    }
    expect(got[0][0]).toBeCloseTo(1 - 0.1 * (0.5 + 0.01), 15);
  });

  it('momentum: buf₁ = g₁, bufₜ = μ·buf + g, p ← p − lr·buf', () => {
    const got = run({ ...base, kind: 'momentum' });
    // by hand, element 0: buf = 0.5, 0.55, 0.095; p = 0.95, 0.895, 0.8855
    expect(got.map((p) => p[0])).toEqual([0.95, 0.895, 0.8855].map((x, i) => expect.closeTo(x, 14 - i)));
  });

  it('adam: first step moves every weight by ≈ lr·sign(g)', () => {
    const got = run({ ...base, kind: 'adam', lr: 0.1 });
    // m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps)
    expect(got[0][0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 15);
    expect(got[0][1]).toBeCloseTo(-2 + (0.1 * 0.25) / (0.25 + 1e-8), 15);
  });

  it('adam and adamw: three steps against the bias-corrected textbook formula', () => {
    for (const kind of ['adam', 'adamw'] as const) {
      const wd = 0.05;
      const got = run({ ...base, kind, lr: 0.01, weightDecay: wd });
      let p = p0.slice();
      const m = [0, 0];
      const v = [0, 0];
      for (const [k, g] of gradsSeq.entries()) {
        const t = k + 1;
        p = p.map((x, i) => {
          let xi = x;
          let d = g[i];
          if (kind === 'adamw') xi = xi * (1 - 0.01 * wd);
          else d = d + wd * xi;
          m[i] = 0.9 * m[i] + 0.1 * d;
          v[i] = 0.999 * v[i] + 0.001 * d * d;
          const mHat = m[i] / (1 - 0.9 ** t);
          const vHat = v[i] / (1 - 0.999 ** t);
          return xi - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8);
        });
        for (let i = 0; i < 2; i++) expect(got[k][i], `${kind} step ${t}`).toBeCloseTo(p[i], 13);
      }
    }
  });

  it('lion: by hand, p ← p·(1 − lr·wd) − lr·sign(β1·m + (1−β1)·g), m ← β2·m + (1−β2)·g', () => {
    const o: OptimConfig = { ...base, kind: 'lion', lr: 0.01, beta1: 0.9, beta2: 0.99, weightDecay: 0.1 };
    const p = Float64Array.of(1, -2, 0.5, 3);
    const s = createOptimState('lion', 'float64', 4);
    s.m.set([0, 0.2, -0.1, 0]);
    optimizerStep(o, o.lr, p, Float64Array.of(0.1, -0.3, 0, 0), s);
    // β1·m + (1−β1)·g = 0.01, 0.15, −0.09, 0 → signs +, +, −, 0; each factor as float64 computes it
    const decay = 1 - 0.01 * 0.1;
    const c2 = 1 - 0.99;
    expect(Array.from(p)).toEqual([1 * decay - 0.01, -2 * decay - 0.01, 0.5 * decay + 0.01, 3 * decay]);
    expect(Array.from(s.m)).toEqual([0.99 * 0 + c2 * 0.1, 0.99 * 0.2 + c2 * -0.3, 0.99 * -0.1 + c2 * 0, 0]);
    expect(s.t).toBe(1);
  });

  it('lion moves every weight by exactly lr whatever the gradient’s scale (no weight decay)', () => {
    const o: OptimConfig = { ...base, kind: 'lion', lr: 0.25 };
    const p = Float64Array.from({ length: 64 }, (_, i) => i - 32);
    const before = Float64Array.from(p);
    const s = createOptimState('lion', 'float64', 64);
    optimizerStep(o, o.lr, p, Float64Array.from({ length: 64 }, (_, i) => (i % 3 - 1) * 10 ** (i % 7 - 3)), s);
    expect(Array.from(p, (x, i) => Math.abs(x - before[i]))).toEqual(Array.from({ length: 64 }, (_, i) => (i % 3 === 1 ? 0 : 0.25)));
  });

  it('an optimizer not registered is a config error naming the known ones', () => {
    expect(() => createOptimState('adafactor', 'float64', 2)).toThrow(/optim\.kind: "adafactor" is not an optimizer this weft knows \(sgd, momentum, adam, adamw, lion\)/);
  });

  it('adam and adamw differ exactly when weight decay is on', () => {
    const a = run({ ...base, kind: 'adam', weightDecay: 0.1 });
    const w = run({ ...base, kind: 'adamw', weightDecay: 0.1 });
    expect(a[2]).not.toEqual(w[2]);
    expect(run({ ...base, kind: 'adam' })).toEqual(run({ ...base, kind: 'adamw' }));
  });
});

describe('gradient clipping as torch.nn.utils.clip_grad_norm_', () => {
  it('global norm over all tensors, per layer and per tensor', () => {
    const table = buildParamTable({ ...DEFAULT_CONFIG.model, ...TINY, vocabSize: 64 });
    const g = new Float64Array(table.total);
    g[0] = 3; // tok_emb (layer 0)
    g[table.byName.get('head.bias')!.offset] = 4; // head (layer L+1)
    const n = gradNorms(g, table);
    expect(n.global).toBe(5);
    expect(n.perLayer[0]).toBe(3);
    expect(n.perLayer[table.nLayerGroups - 1]).toBe(4);
    expect(n.perTensor[0]).toBe(3);
  });
  it('factor = min(1, maxNorm / (norm + 1e-6)); maxNorm 0 disables', () => {
    expect(clipFactor(5, 1)).toBe(1 / (5 + 1e-6));
    expect(clipFactor(0.5, 1)).toBe(1);
    expect(clipFactor(1e9, 0)).toBe(1);
  });
});

describe('learning-rate schedules', () => {
  const lr = 1e-3;
  it('linear warmup then constant', () => {
    const s = { kind: 'constant' as const, warmupSteps: 4, minLrRatio: 0.1 };
    expect([1, 2, 4, 5, 100].map((t) => lrAt(s, lr, t, 100))).toEqual([lr / 4, lr / 2, lr, lr, lr]);
  });
  it('warmup then cosine to minLrRatio·lr at the last step, halfway at the middle', () => {
    const s = { kind: 'cosine' as const, warmupSteps: 10, minLrRatio: 0.1 };
    expect(lrAt(s, lr, 10, 110)).toBe(lr);
    expect(lrAt(s, lr, 60, 110)).toBeCloseTo((lr + 0.1 * lr) / 2, 18);
    expect(lrAt(s, lr, 110, 110)).toBeCloseTo(0.1 * lr, 18);
    expect(lrAt(s, lr, 35, 110)).toBeCloseTo(0.1 * lr + 0.5 * 0.9 * lr * (1 + Math.cos(Math.PI / 4)), 15);
  });
});
