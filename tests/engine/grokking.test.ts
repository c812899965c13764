// The grokking scenario: its signature steps A, B and C read as its expectations state them (on
// hand-built runs: one that groks, one that never generalises — the weight-decay ablation's
// shape — and one whose held-out accuracy rises too soon), and its memorisation phase on the
// real model: within MEMORISED_BY steps the training pairs are learnt (≥ 99%) while every
// held-out evaluation stays near chance. The full run (thousands of steps) is the README's.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpectations, ScenarioRunBuilder } from '../../src/engine/scenario-run.ts';
import type { Evaluation } from '../../src/log/evals.ts';
import { openLog } from '../../src/log/reader.ts';
import scenario, { GENERALISED_BY, grokkingSteps, MEMORISED_BY, NEAR_CHANCE, P } from '../../scenarios/grokking.ts';
import { weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const EVERY = 50;
const split = (accuracy: number) => ({ examples: 100, counted: 100, loss: 1 - accuracy, accuracy });

/**
 * A 1-layer run of GENERALISED_BY steps, evaluated every 50: training accuracy at `train(step)`,
 * held-out at `heldOut(step)`, and every layer group's parameter norm `norm(step)`.
 */
function handBuilt(train: (s: number) => number, heldOut: (s: number) => number, norm: (s: number) => number) {
  const b = new ScenarioRunBuilder(1, 'a hand-built run');
  for (let s = 1; s <= GENERALISED_BY; s++) {
    b.add({ step: s, loss: 1, gradNormGlobal: 1, gradNormPerLayer: [1, 1, 1], clipFactor: 1, maskKeptFraction: null, paramNormPerLayer: [norm(s), norm(s), norm(s)] });
  }
  const evals: Evaluation[] = [];
  for (let s = 0; s <= GENERALISED_BY; s += EVERY) evals.push({ step: s, train: split(train(s)), heldOut: split(heldOut(s)) });
  b.evaluations = evals;
  return b.run(null);
}

const memorised = (s: number) => (s >= 300 ? 1 : 0.2);
const atChance = () => 0.5 / P;
/** the weight norm rises while the model memorises, then weight decay brings it down */
const riseThenFall = (s: number) => (s <= 300 ? 10 + s / 30 : Math.max(2, 20 - (s - 300) / 100));

describe('the grokking signature on hand-built runs', () => {
  it('a run that groks: A, B and C where its accuracies cross, and every expectation holds', () => {
    const r = handBuilt(memorised, (s) => (s < 2000 ? 0.5 / P : s < 4000 ? 0.5 : 0.99), riseThenFall);
    expect(grokkingSteps(r)).toEqual({ A: 300, B: 1950, C: 4000 });
    expect(checkExpectations(scenario.expectations, r).map((e) => e.ok)).toEqual([true, true, true, true]);
  });

  it('a run that never generalises (the weight-decay ablation\'s shape): no C, and the expectations on C and the weight norm fail', () => {
    const r = handBuilt(memorised, atChance, (s) => 10 + s / 50);
    expect(grokkingSteps(r)).toEqual({ A: 300, B: GENERALISED_BY, C: null });
    expect(checkExpectations(scenario.expectations, r).map((e) => e.ok)).toEqual([true, true, false, false]);
  });

  it('a run that generalises as it memorises (held-out above 5/p before 5·A) fails the near-chance expectation; memorising too late fails the first', () => {
    const early = handBuilt(memorised, (s) => (s < 1000 ? 0.5 / P : 0.99), riseThenFall);
    expect(grokkingSteps(early)).toEqual({ A: 300, B: 950, C: 1000 });
    expect(checkExpectations(scenario.expectations, early).map((e) => e.ok)).toEqual([true, false, true, true]);
    const late = handBuilt((s) => (s >= MEMORISED_BY + EVERY ? 1 : 0.2), (s) => (s < 4000 ? 0.5 / P : 0.99), riseThenFall);
    expect(checkExpectations(scenario.expectations, late)[0].ok).toBe(false);
  });

  it('a weight norm that does not fall between A and C fails the last expectation', () => {
    const r = handBuilt(memorised, (s) => (s < 2000 ? 0.5 / P : 0.99), (s) => 10 + s / 50);
    expect(checkExpectations(scenario.expectations, r).map((e) => e.ok)).toEqual([true, true, true, false]);
  });
});

describe('the grokking scenario\'s memorisation phase, on its own model', () => {
  const dir = tempDir();
  const log = join(dir, 'grokking.weft');

  it(`in ${MEMORISED_BY} steps the training pairs are learnt and the held-out ones stay near chance; its expectations hold`, () => {
    const r = weft(['run', 'grokking', '--steps', String(MEMORISED_BY), '--out', log, '--quiet', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.expectations.map((e: { ok: boolean }) => e.ok)).toEqual(scenario.expectations.map(() => true));
    // the claims about step 30,000 are not checked on 600 steps, and say so
    expect(j.expectations.map((e: { notChecked?: string }) => Boolean(e.notChecked))).toEqual([false, false, true, true]);
    // 961 pairs, half of them train
    const a = j.summary.accuracy;
    expect([a.step, a.train.examples, a.heldOut.examples]).toEqual([MEMORISED_BY, 480, 481]);
    expect(a.train.accuracy).toBeGreaterThanOrEqual(0.99);
    const l = openLog(log);
    let evals: Evaluation[];
    try {
      evals = l.readEvals();
    } finally {
      l.close();
    }
    expect(evals.map((e) => e.step)).toEqual(Array.from({ length: MEMORISED_BY / EVERY + 1 }, (_, i) => i * EVERY));
    // memorised (step A) well before the end, every held-out evaluation at most 5/p
    const A = evals.find((e) => e.train.accuracy! >= 0.99)!.step;
    expect(A).toBeLessThan(MEMORISED_BY);
    for (const e of evals) expect(e.heldOut.accuracy!).toBeLessThanOrEqual(NEAR_CHANCE);
  }, 600_000);
});
