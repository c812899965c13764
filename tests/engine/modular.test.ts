// The modular-addition scenario end to end: its claims hold on the full run (the expectations, and
// the memorised-not-generalised accuracies its description states); padding and masked positions
// change nothing a counted target sees; and its log goes through verify, replay and fork bit for
// bit, as every corpus log does.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig } from '../../src/config/config.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { hashBytes } from '../../src/engine/hash.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { IGNORED_TARGET } from '../../src/kernels/types.ts';
import { referenceKernels } from '../../src/kernels/reference.ts';
import { kernelsFor } from '../../src/kernels/registry.ts';
import { openLog } from '../../src/log/reader.ts';
import { pack } from '../../src/log/msgpack.ts';
import { initParams } from '../../src/model/init.ts';
import { GPT } from '../../src/model/gpt.ts';
import type { ModelConfig } from '../../src/model/params.ts';
import { stateAt } from '../../src/replay/state.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import scenario, { MEMORISED_BY_STEP, P } from '../../scenarios/modular-addition.ts';
import { weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const dir = tempDir();

describe('the modular-addition scenario, run in full', () => {
  const r = weft(['run', 'modular-addition', '--no-log', '--quiet', '--json']);

  it('every expectation holds, and the summary shows the pairs memorised and the held-out ones not learnt', () => {
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.stepsDone).toBe(MEMORISED_BY_STEP);
    expect(j.expectations.map((e: { ok: boolean }) => e.ok)).toEqual(scenario.expectations.map(() => true));
    const a = j.summary.accuracy;
    // 529 pairs, half held out (⌊0.5 · 529⌋ train)
    expect([a.step, a.train.examples, a.heldOut.examples]).toEqual([MEMORISED_BY_STEP, 264, 265]);
    expect(a.train.accuracy).toBe(1);
    // chance is 1/23 ≈ 4.3%: memorised, not generalised (grokking needs weight decay and far more steps)
    expect(a.heldOut.accuracy).toBeLessThan(4 / P);
    expect(a.heldOut.loss).toBeGreaterThan(Math.log(P));
  });

  it('the summary names the accuracies in a line a person reads', () => {
    const t = weft(['run', 'modular-addition', '--steps', '20', '--no-log', '--quiet']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^accuracy after step 20: train \d+\.\d% of 264 · held out \d+\.\d% of 265$/m);
    // a corpus run has no accuracy line (its summary is as before)
    const c = weft(['run', 'baseline', '--steps', '2', '--no-log', '--quiet', '--json']);
    expect(JSON.parse(c.stdout).summary).not.toHaveProperty('accuracy');
  });
});

describe('padding and masked positions change nothing', () => {
  // the scenario's model with a context of 16: an example (4 positions) padded 12 after its end
  const cfg: ModelConfig = { ...mergeConfig(DEFAULT_CONFIG, { model: scenario.config.model }).model, contextLength: 16, dropout: 0 };
  const data = (T: number) => new Dataset({ ...DEFAULT_CONFIG.data, ...scenario.config.data, batchSize: 8 } as typeof DEFAULT_CONFIG.data, 0, T, 1);
  const vocabSize = data(4).vocabSize;
  const model = (T: number, kernels = referenceKernels) => {
    const m = new GPT({ ...cfg, vocabSize }, kernels, 'float64', 8, T);
    initParams(m.params, m.table, { ...cfg, vocabSize }, 3);
    return m;
  };

  /** Loss, the gradient of every parameter, and the counted positions' logits. */
  function pass(m: GPT, inputs: Int32Array, targets: Int32Array, T: number) {
    const loss = m.forward(inputs, targets, null);
    const V = vocabSize;
    const logits: number[] = [];
    for (let b = 0; b < 8; b++) logits.push(...m.lastLogits.subarray((b * T + 3) * V, (b * T + 4) * V));
    m.backward();
    return { loss, grads: Float64Array.from(m.grads), logits: Float64Array.from(logits) };
  }

  it('the same examples in a context of 4 and padded to 16: loss, logits at the answer and every gradient bit for bit (float64, both kernel sets)', () => {
    const [short, long] = [data(4).batch(1), data(16).batch(1)];
    // the same examples: the first 4 positions of each padded row are the short row
    for (let b = 0; b < 8; b++) expect(long.inputs.subarray(b * 16, b * 16 + 4)).toEqual(short.inputs.subarray(b * 4, b * 4 + 4));
    for (const [set, kernels] of [['reference', referenceKernels], ['fast', kernelsFor(referenceKernels.mode, 'fast', 1)]] as const) {
      const a = pass(model(4, kernels), short.inputs, short.targets, 4);
      const b = pass(model(16, kernels), long.inputs, long.targets, 16);
      expect(Object.is(a.loss, b.loss), `${set} loss`).toBe(true);
      expect(hashBytes(b.logits), `${set} logits`).toBe(hashBytes(a.logits));
      expect(hashBytes(b.grads), `${set} gradients`).toBe(hashBytes(a.grads));
    }
  });

  it('whatever the padded and masked positions hold after the answer, nothing changes; a change before it does', () => {
    const { inputs, targets } = data(16).batch(1);
    const base = pass(model(16), inputs, targets, 16);
    const r = keyedStream(5, 'test/padding');
    const noisy = Int32Array.from(inputs, (x, i) => (i % 16 >= 4 ? r.int(vocabSize) : x));
    const other = pass(model(16), noisy, targets, 16);
    expect(Object.is(other.loss, base.loss)).toBe(true);
    expect(hashBytes(other.grads)).toBe(hashBytes(base.grads));
    // the check can fail: a different b (position 2) changes the loss
    const changed = Int32Array.from(inputs, (x, i) => (i === 2 ? (x + 1) % P : x));
    expect(pass(model(16), changed, targets, 16).loss).not.toBe(base.loss);
  });

  it('an ignored target carries nothing: its value under the mask cannot be read, and unmasking it changes the loss', () => {
    const { inputs, targets } = data(16).batch(1);
    const base = pass(model(16), inputs, targets, 16);
    expect(targets.filter((t) => t !== IGNORED_TARGET)).toHaveLength(8);
    // counting position 2's target too (the `=` after b) moves the loss and the gradient
    const more = Int32Array.from(targets, (t, i) => (i % 16 === 2 ? P + 1 : t));
    const other = pass(model(16), inputs, more, 16);
    expect(other.loss).not.toBe(base.loss);
    expect(hashBytes(other.grads)).not.toBe(hashBytes(base.grads));
  });
});

describe('a modular log through verify, replay and fork', () => {
  const parent = join(dir, 'modular.weft');
  const STEPS = 30;
  const run = weft(['run', 'modular-addition', '--steps', String(STEPS), '--record', 'full', '--set', 'record.keyframeEvery=10', '--out', parent, '--quiet']);

  /** A log's step records as bytes, by step. */
  function stepBytes(path: string): Map<number, Buffer> {
    const log = openLog(path);
    const m = new Map(log.stepNumbers.map((s) => [s, Buffer.from(pack(log.readStep(s)))]));
    log.close();
    return m;
  }

  it('verify re-executes it bit for bit (exit 0); the header keeps data.kind, p and the split', () => {
    expect(run.code, run.stderr).toBe(0);
    const v = weft(['verify', parent, '--quiet']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const log = openLog(parent);
    expect(log.header.config.data).toMatchObject({ kind: 'modular', p: P, trainFraction: 0.5, op: '+' });
    expect(log.header.vocab).toBeNull();
    log.close();
  });

  it('replay gives the exact state of a fresh run stopped at step N (a keyframe, between keyframes, the last)', () => {
    const log = openLog(parent);
    const config = validateConfig(mergeConfig(DEFAULT_CONFIG, mergeConfig(scenario.config, { steps: STEPS, record: { mode: 'full', keyframeEvery: 10 } })));
    const t = new Trainer(config);
    for (let n = 1; n <= STEPS; n++) {
      t.step();
      if (![10, 17, STEPS].includes(n)) continue;
      const s = stateAt(log, n);
      expect({ params: hashBytes(s.params), m: hashBytes(s.m), v: hashBytes(s.v) }, `step ${n}`).toEqual({ params: hashBytes(t.params), m: hashBytes(t.optim.m), v: hashBytes(t.optim.v) });
    }
    log.close();
    const r = weft(['replay', parent, '--to', '17', '--json']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a fork with no change reproduces the parent from step N on, byte for byte, and verifies', () => {
    const fork = join(dir, 'fork.weft');
    const f = weft(['fork', parent, '--at', '13', '--out', fork, '--quiet']);
    expect(f.code, f.stderr).toBe(0);
    const [a, b] = [stepBytes(parent), stepBytes(fork)];
    expect([...b.keys()]).toEqual(Array.from({ length: STEPS - 13 }, (_, i) => 14 + i));
    for (const [s, bytes] of b) expect(bytes.equals(a.get(s)!), `step ${s}`).toBe(true);
    expect(weft(['verify', fork, '--quiet']).code).toBe(0);
  });

  it('a fork may change the optimizer, not the task: another modulus or operation is one line, exit 2', () => {
    for (const [set, key] of [['data.p=29', 'data.p'], ['data.op=*', 'data.op']]) {
      const f = weft(['fork', parent, '--at', '13', '--set', set, '--out', join(dir, 'fork-task.weft'), '--quiet']);
      expect([f.code, f.stderr], set).toEqual([2, `weft fork: ${key}: a fork must keep the parent’s data kind, corpus (or modulus and operation) and vocabulary\n`]);
    }
  });
});
