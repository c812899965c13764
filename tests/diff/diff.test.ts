import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { TINY } from '../../src/config/config.ts';
import { heldOutDiff, heldOutLines } from '../../src/diff/diff.ts';
import { DIFF_JSON_SCHEMA } from '../../src/diff/schema.ts';
import type { Evaluation } from '../../src/log/evals.ts';
import { openLog } from '../../src/log/reader.ts';
import { TINY_SETS, weft } from '../helpers.ts';
import { config, recordRun, recordTwin, tempDir } from '../log/helpers.ts';

const dir = tempDir();
const run = (name: string, ...args: string[]) => {
  const out = join(dir, `${name}.weft`);
  const r = weft(['run', 'baseline', ...TINY_SETS, '--steps', '6', '--record', 'compact', '--out', out, '--quiet', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return out;
};
const validate = new Ajv({ strict: false }).compile(DIFF_JSON_SCHEMA);
function diffJson(a: string, b: string) {
  const r = weft(['diff', a, b, '--json']);
  const j = JSON.parse(r.stdout);
  expect(validate(j), JSON.stringify(validate.errors)).toBe(true);
  return { code: r.code, j };
}

describe('weft diff', () => {
  const base = run('base');

  it('a run diffed with itself is identical, exit 0', () => {
    const { code, j } = diffJson(base, base);
    expect(code).toBe(0);
    expect(j.identical).toBe(true);
    expect(j.firstDivergence).toBeNull();
    expect(weft(['diff', base, base]).stdout).toMatch(/^identical: 6 steps/);
  });

  it('seed 1 vs seed 2: divergence at step 0 in the initial weights, cause "seed differs"', () => {
    const { code, j } = diffJson(base, run('seed2', '--seed', '2'));
    expect(code).toBe(1);
    expect(j.firstDivergence).toMatchObject({ step: 0, stream: 'weight', tensor: 'tok_emb.weight', index: 0 });
    expect(j.firstDivergence.causes[0]).toBe('seed differs (1 vs 2)');
  });

  it('baseline vs optim.kind=sgd: same start, batch and masks; first divergence in step 1’s weight update, cause optim.kind', () => {
    const { code, j } = diffJson(base, run('sgd', '--set', 'optim.kind=sgd'));
    expect(code).toBe(1);
    expect(j.firstDivergence).toMatchObject({ step: 1, stream: 'weight', field: 'params' });
    expect(j.firstDivergence.causes).toEqual(['optim.kind: "adam" vs "sgd"']);
    expect(j.steps[0]).toMatchObject({ step: 1, lossDiff: 0 });
    expect(j.steps[0].layers[1].paramDist).toBeGreaterThan(0);
    expect(j.notCompared.join(' ')).toMatch(/moments/);
  });

  it('baseline vs model.dropout=0: first divergence in step 1’s masks', () => {
    const { j } = diffJson(base, run('nodrop', '--set', 'model.dropout=0'));
    expect(j.firstDivergence).toMatchObject({ step: 1, stream: 'mask' });
    expect(j.firstDivergence.causes).toContain('model.dropout: 0.1 vs 0');
  });

  it('a twin log with one element altered at step k: names step k, the tensor and the element', () => {
    const cfg = config({ model: TINY, steps: 7, record: { mode: 'full' } });
    const a = join(dir, 'orig.weft');
    const b = join(dir, 'twin.weft');
    recordRun(a, cfg);
    recordTwin(b, cfg, 4, 'blocks.0.attn.proj.weight', 123);
    const { code, j } = diffJson(a, b);
    expect(code).toBe(1);
    expect(j.firstDivergence).toMatchObject({ step: 4, stream: 'weight', tensor: 'blocks.0.attn.proj.weight', index: 123 });
    expect(j.firstDivergence.causes[0]).toMatch(/configs are equal/);
    expect(j.steps.map((s: { step: number }) => s.step)).toEqual([4, 5, 6, 7]);
  });

  it('runs of different lengths are compared as far as they go, and the rest is named', () => {
    const long = run('long', '--steps', '9');
    const { code, j } = diffJson(base, long);
    expect(code).toBe(1);
    expect(j.firstDivergence).toBeNull();
    expect(j.notCompared).toContain('steps 7…9: only b has them');
  });

  it('bad input: missing file (2), corrupt file (3), different vocabularies (2)', () => {
    expect(weft(['diff', base, join(dir, 'missing.weft')]).code).toBe(2);
    const bad = Buffer.from(readFileSync(base));
    bad[100] ^= 4;
    writeFileSync(join(dir, 'bad.weft'), bad);
    const c = weft(['diff', base, join(dir, 'bad.weft')]);
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/corrupt at byte \d+/);
    const v = weft(['diff', base, run('v32', '--set', 'model.vocabSize=32')]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/different vocabularies \(a: 64 words, "<unk>" "the" "\."…; b: 32 words, "<unk>" "the" "\."…\)/);
    // the same size, other names: said so, not "64 vs 64 tokens"
    const m = weft(['diff', base, run('mod64', '--set', 'data.kind=modular', '--set', 'data.p=13', '--set', 'data.trainFraction=0.5')]);
    expect(m.code).toBe(2);
    expect(m.stderr.trim()).toMatch(/different vocabularies \(a: 64 words, .*; b: 64 token ids without words\): their batches and outputs cannot be compared$/);
  });
});

describe('weft diff of runs with held-out evaluations', () => {
  const EVAL = ['--set', 'data.trainFraction=0.9', '--set', 'eval.every=2', '--set', 'optim.kind=adamw'];
  const noDecay = run('wd0', ...EVAL, '--set', 'optim.weightDecay=0');
  const decay = run('wd05', ...EVAL, '--set', 'optim.weightDecay=0.5');
  const plain = run('plain');
  const evalsOf = (path: string) => {
    const log = openLog(path);
    try {
      return log.readEvals();
    } finally {
      log.close();
    }
  };

  it('weight decay 0 vs 0.5: names the evaluation step where held-out loss parts, and both at the end (text and --json)', () => {
    const [ea, eb] = [evalsOf(noDecay), evalsOf(decay)];
    expect(ea.map((e) => e.step)).toEqual([0, 2, 4, 6]);
    // the same start: the curves part at the first evaluation after step 1's update, not at 0
    expect(eb[0].heldOut.loss).toBe(ea[0].heldOut.loss);
    expect(eb[1].heldOut.loss).not.toBe(ea[1].heldOut.loss);
    const { code, j } = diffJson(noDecay, decay);
    expect(code).toBe(1);
    expect(j.firstDivergence.causes[0]).toBe('optim.weightDecay: 0 vs 0.5');
    expect(j.heldOut).toEqual({
      commonSteps: 4,
      parts: { step: 2, lossA: ea[1].heldOut.loss, lossB: eb[1].heldOut.loss, lossDiff: eb[1].heldOut.loss - ea[1].heldOut.loss },
      end: { step: 6, lossA: ea[3].heldOut.loss, lossB: eb[3].heldOut.loss, lossDiff: eb[3].heldOut.loss - ea[3].heldOut.loss, accuracyA: null, accuracyB: null },
    });
    const text = weft(['diff', noDecay, decay]).stdout;
    expect(text).toContain(`held-out loss parts at step 2: a ${ea[1].heldOut.loss.toFixed(6)}, b ${eb[1].heldOut.loss.toFixed(6)} (b − a +`);
    expect(text).toContain(`held-out loss at step 6, the last common evaluation: a ${ea[3].heldOut.loss.toFixed(6)}, b ${eb[3].heldOut.loss.toFixed(6)}`);
  });

  it('a run diffed with itself: held-out loss equal at every evaluation; runs without evaluations keep their output as it was', () => {
    const { code, j } = diffJson(noDecay, noDecay);
    expect(code).toBe(0);
    expect(j.heldOut).toMatchObject({ commonSteps: 4, parts: null, end: { step: 6, lossDiff: 0 } });
    expect(weft(['diff', noDecay, noDecay]).stdout).toContain('held-out loss equal at all 4 common evaluation steps, bit for bit');
    // neither has evaluations: no heldOut key, no line about them
    expect(Object.keys(diffJson(plain, plain).j)).toEqual(['a', 'b', 'identical', 'firstDivergence', 'config', 'steps', 'notCompared']);
    expect(weft(['diff', plain, plain]).stdout).not.toMatch(/held-out/);
    // one has them: named as not compared
    expect(diffJson(plain, noDecay).j.notCompared).toContain('held-out evaluations: only b has them');
  });

  it('compares the steps both evaluated (every 2 vs every 3: 0 and 6), NaN equal to NaN, no common step named', () => {
    const e = (step: number, loss: number, accuracy: number | null = null): Evaluation => ({ step, heldOut: { examples: 10, counted: 10, loss, accuracy }, train: { examples: 10, counted: 10, loss, accuracy } });
    const h = heldOutDiff([e(0, 3), e(2, 2.5), e(4, 2), e(6, NaN, 0.5)], [e(0, 3), e(3, 9), e(6, NaN, 0.25)]);
    expect(h).toEqual({ commonSteps: 2, parts: null, end: { step: 6, lossA: NaN, lossB: NaN, lossDiff: NaN, accuracyA: 0.5, accuracyB: 0.25 } });
    expect(heldOutLines(h)[1]).toMatch(/· held-out accuracy a 50\.0%, b 25\.0%$/);
    expect(heldOutDiff([e(0, 3), e(6, 2)], [e(0, 3), e(6, 2.5)]).parts).toEqual({ step: 6, lossA: 2, lossB: 2.5, lossDiff: 0.5 });
    expect(heldOutLines(heldOutDiff([e(1, 3)], [e(2, 3)]))).toEqual(['held-out loss: no evaluation step in common']);
  });
});
