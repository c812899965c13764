import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig } from '../../src/config/config.ts';
import { runTraining } from '../../src/engine/run.ts';
import { checkExpectations, maskCounts, ScenarioRunBuilder } from '../../src/engine/scenario-run.ts';
import { formatExpectations } from '../../src/cli/format.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { MICRO } from '../log/helpers.ts';

/** Step n of a 2-layer run: figures that name their step and layer group. */
const figures = (step: number) => ({
  step,
  loss: 10 + step,
  gradNormGlobal: 100 + step,
  gradNormPerLayer: Float64Array.from([0, 1, 2, 3], (l) => step + l / 10),
  clipFactor: 1 / step,
  maskKeptFraction: step === 2 ? null : 0.9,
});

describe('ScenarioRunBuilder: a run\'s per-step figures as expectations read them', () => {
  it('steps from where the run starts (a resume or fork point); layer groups 0 = emb, 1…L, last = L, head = L+1', () => {
    const b = new ScenarioRunBuilder(2, 'this run');
    for (const s of [4, 5, 6]) b.add(figures(s));
    const r = b.run(null);
    expect(r.lastStep).toBe(6);
    expect([r.loss(4), r.gradNorm(5, 'global'), r.clipFactor(6)]).toEqual([14, 105, 1 / 6]);
    expect([r.gradNorm(5, 0), r.gradNorm(5, 1), r.gradNorm(5, 'last'), r.gradNorm(5, 'head')]).toEqual([5, 5.1, 5.2, 5.3]);
    expect(() => r.loss(3)).toThrow(new RangeError('this run has no step 3 (it ran steps 4…6)'));
    expect(() => r.loss(6.5)).toThrow(/no step 6\.5/);
    expect(() => r.gradNorm(5, 4)).toThrow(new RangeError('this run has no layer group 4 (0 = emb, 1…2, 3 = head)'));
    expect(() => b.add(figures(8))).toThrow(/step 8 added after step 6/);
  });

  it('a run with no step: lastStep 0, and every step is missing', () => {
    const r = new ScenarioRunBuilder(2, 'the golden run of x').run(null);
    expect(r.lastStep).toBe(0);
    expect(() => r.loss(1)).toThrow('the golden run of x has no step 1 (it ran no step)');
  });

  it('masks: the kept fraction over every site; null without dropout', () => {
    expect(maskCounts([Uint8Array.from([1, 0, 1]), Uint8Array.from([1])])).toEqual({ kept: 3, total: 4 });
    const b = new ScenarioRunBuilder(2, 'this run');
    b.add(figures(1));
    b.add(figures(2));
    expect([b.run(null).maskKeptFraction(1), b.run(null).maskKeptFraction(2)]).toEqual([0.9, null]);
  });

  it('checkExpectations: ok as the check says; a check that throws fails with its error', () => {
    const b = new ScenarioRunBuilder(2, 'this run');
    b.add(figures(1));
    const results = checkExpectations([
      { text: 'holds', check: (r) => r.loss(1) === 11 },
      { text: 'fails', check: () => false },
      { text: 'throws', check: (r) => r.loss(2) > 0 },
      { text: 'throws a string', check: () => { throw 'no'; } },
    ], b.run(null));
    expect(results).toEqual([
      { text: 'holds', ok: true },
      { text: 'fails', ok: false },
      { text: 'throws', ok: false, error: 'this run has no step 2 (it ran step 1 only)' },
      { text: 'throws a string', ok: false, error: 'no' },
    ]);
  });

  it('an expectation about a step the run does not reach (from) is not checked, and said so — never ✓, never a failure', () => {
    const b = new ScenarioRunBuilder(2, 'this run');
    b.add(figures(1));
    const results = checkExpectations([
      { text: 'by step 600', from: 600, check: () => { throw new Error('never called'); } },
      { text: 'by step 1', from: 1, check: (r) => r.loss(1) === 11 },
    ], b.run(null));
    expect(results).toEqual([
      { text: 'by step 600', ok: true, notChecked: 'the run ends at step 1, before step 600' },
      { text: 'by step 1', ok: true },
    ]);
    expect(formatExpectations(results)).toBe('expectations: 1 of 1 hold, 1 not checked\n  – by step 600 (not checked: the run ends at step 1, before step 600)\n  ✓ by step 1');
  });

  it('paramNorm: each layer group\'s parameter norm after each step trained, the total over all; null for steps added from a log', () => {
    const t = new Trainer(validateConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, MICRO), { steps: 3, optim: { kind: 'adamw', weightDecay: 1000, lr: 1e-4 } })));
    const b = new ScenarioRunBuilder(1, 'this run');
    const after: number[][] = [];
    runTraining(t, 3, [b, { onStep: () => after.push(t.table.tensors.reduce((sq, p) => {
      for (let i = p.offset; i < p.offset + p.size; i++) sq[p.layer] += t.state.params[i] ** 2;
      return sq;
    }, [0, 0, 0])) }]);
    const r = b.run(null);
    for (const s of [1, 2, 3]) {
      const sq = after[s - 1];
      for (const l of [0, 1, 2]) expect(r.paramNorm(s, l)).toBeCloseTo(Math.sqrt(sq[l]), 12);
      expect(r.paramNorm(s, 'head')).toBe(r.paramNorm(s, 2));
      expect(r.paramNorm(s, 'global')).toBeCloseTo(Math.sqrt(sq[0] + sq[1] + sq[2]), 12);
    }
    // weight decay 1000 at lr 1e-4 shrinks the weights 10% a step (Adam's steps of ~1e-4 are far smaller): the norm is of the step's weights, not the initial ones
    expect(r.paramNorm(3, 'global')!).toBeLessThan(r.paramNorm(1, 'global')!);
    const logged = new ScenarioRunBuilder(2, 'this run');
    logged.add(figures(1));
    expect([logged.run(null).paramNorm(1, 0), logged.run(null).paramNorm(1, 'global')]).toEqual([null, null]);
  });
});
