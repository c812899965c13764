// The modular task: a ∘ b mod p, every pair once, `a ∘ b =` then the answer, the answer's loss
// alone counted; its vocabulary, its padding to any longer context, and the combinations it
// cannot serve (one line, exit 2).
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { taskKinds } from '../../src/data/registry.ts';
import type { DataConfig } from '../../src/data/task.ts';
import { IGNORED_TARGET } from '../../src/kernels/types.ts';
import { TINY_SETS, weft } from '../helpers.ts';

const data = (over: Partial<DataConfig>): DataConfig => ({ ...DEFAULT_CONFIG.data, kind: 'modular', ...over });
const config = (over: DeepPartial<WeftConfig>) => validateConfig(mergeConfig(DEFAULT_CONFIG, over));

/** Every example's (a, b, answer), read back from its row. */
function examplesOf(d: Dataset, T: number): { a: number; b: number; c: number; row: Int32Array; targets: Int32Array }[] {
  const out = [];
  for (let i = 0; i < d.task.examples; i++) {
    const row = new Int32Array(T);
    const targets = new Int32Array(T);
    d.task.write(i, row, targets);
    out.push({ a: row[0], b: row[2], c: targets[3], row, targets });
  }
  return out;
}

describe('the modular task', () => {
  it('holds every pair once, `a + b =` then the answer, and counts the answer alone', () => {
    const p = 7;
    const d = new Dataset(data({ p }), 0, 4, 1);
    expect(d.vocabSize).toBe(p + 3);
    expect(d.vocabulary).toEqual(['0', '1', '2', '3', '4', '5', '6', '+', '=', '<pad>']);
    expect(d.tokenizer).toBeNull();
    const ex = examplesOf(d, 4);
    expect(ex).toHaveLength(p * p);
    expect(new Set(ex.map((e) => `${e.a},${e.b}`)).size).toBe(p * p);
    for (const e of ex) {
      expect(Array.from(e.row)).toEqual([e.a, p, e.b, p + 1]);
      expect(Array.from(e.targets)).toEqual([IGNORED_TARGET, IGNORED_TARGET, IGNORED_TARGET, (e.a + e.b) % p]);
    }
  });

  it.each([
    ['-', (a: number, b: number, p: number) => (a - b + p) % p],
    ['*', (a: number, b: number, p: number) => (a * b) % p],
  ] as const)('a %s b mod p', (op, f) => {
    const p = 11;
    const d = new Dataset(data({ p, op }), 0, 4, 1);
    expect(d.vocabulary![p]).toBe(op);
    for (const e of examplesOf(d, 4)) expect(e.c).toBe(f(e.a, e.b, p));
  });

  it('a / b mod p: b from 1, and the answer times b is a', () => {
    const p = 13;
    const d = new Dataset(data({ p, op: '/' }), 0, 4, 1);
    const ex = examplesOf(d, 4);
    expect(ex).toHaveLength(p * (p - 1));
    for (const e of ex) {
      expect(e.b).toBeGreaterThan(0);
      expect((e.c * e.b) % p).toBe(e.a);
    }
  });

  it('a longer context pads each example after its end: pad inputs, pad targets ignored', () => {
    const d = new Dataset(data({ p: 5 }), 0, 16, 1);
    const batch = d.batch(1);
    for (let b = 0; b < d.split.train.length && b < 8; b++) {
      const row = Array.from(batch.inputs.subarray(b * 16, b * 16 + 16));
      const targets = Array.from(batch.targets.subarray(b * 16, b * 16 + 16));
      expect(row.slice(4)).toEqual(new Array(12).fill(5 + 2));
      expect(targets.filter((t) => t !== IGNORED_TARGET)).toHaveLength(1);
      expect(targets[3]).not.toBe(IGNORED_TARGET);
    }
  });

  it('a model vocabulary larger than the task\'s keeps it (the extra ids are never seen)', () => {
    expect(new Dataset(data({ p: 5 }), 64, 4, 1).vocabSize).toBe(64);
  });

  it('what it cannot serve is a ConfigError naming the key', () => {
    expect(() => config({ model: { contextLength: 3 }, data: { kind: 'modular' } })).toThrow("model.contextLength: the modular task's examples fill 4 positions (a + b =, then the answer): must be at least 4, got 3");
    expect(() => config({ model: { vocabSize: 64 }, data: { kind: 'modular', p: 97 } })).toThrow("model.vocabSize: the modular task mod 97 has 100 tokens (0…96, +, =, <pad>): must be 0 (the task's) or at least 100, got 64");
    expect(() => config({ data: { kind: 'modular', p: 24, op: '/' } })).toThrow('data.p: division mod p needs a prime p (every b ≠ 0 has an inverse), got 24');
    expect(() => config({ data: { kind: 'modular', p: 1025 } })).toThrow('data.p');
    expect(() => config({ data: { kind: 'modular', op: '^' as '+' } })).toThrow('data.op: must be one of "+", "-", "*", "/", got "^"');
    expect(() => config({ data: { kind: 'modular' }, probe: { every: 5 } })).toThrow('probe: attention probes need words: a run on the story corpus (data.corpus story), not the modular task a + b mod 59');
  });
});

describe('--set data.kind=modular on any scenario', () => {
  it('runs on the baseline (context 16: padded and masked), on the tiny model, and on bench (V 64 ≥ 62)', () => {
    for (const args of [['baseline', '--steps', '2'], ['baseline', ...TINY_SETS, '--steps', '2'], ['bench', '--steps', '2']]) {
      const r = weft(['run', ...args, '--set', 'data.kind=modular', '--no-log', '--quiet', '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ reason: 'completed', stepsDone: 2 });
      expect(Number.isFinite(j.summary.lossLast)).toBe(true);
    }
  });

  it('an unknown kind and bad task parameters are one line each, exit 2', () => {
    const cases: [string, string][] = [
      ['data.kind=nope', `weft run: data.kind: must be one of ${taskKinds().map((k) => JSON.stringify(k)).join(', ')}, got "nope"\n`],
      ['data.p=1', 'weft run: data.p: must be >= 2, got 1\n'],
      ['data.p=1025', 'weft run: data.p: must be <= 1024, got 1025\n'],
      ['data.trainFraction=0', 'weft run: data.trainFraction: must be > 0, got 0\n'],
      ['data.trainFraction=1.5', 'weft run: data.trainFraction: must be <= 1, got 1.5\n'],
    ];
    for (const [set, line] of cases) {
      const r = weft(['run', 'baseline', '--set', 'data.kind=modular', '--set', set, '--steps', '2', '--no-log']);
      expect([r.code, r.stderr], set).toEqual([2, line]);
    }
  });

  it('trainFraction 1 trains on every pair and holds none out (the summary says so)', () => {
    const r = weft(['run', 'baseline', ...TINY_SETS, '--set', 'model.contextLength=4', '--set', 'data.kind=modular', '--set', 'data.p=5', '--set', 'data.trainFraction=1', '--steps', '4', '--no-log', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^accuracy after step 4: train \d+\.\d% of 25 · nothing held out$/m);
  });

  it('an impossible combination is one line, exit 2', () => {
    const cases: [string[], string][] = [
      [['baseline', '--set', 'model.contextLength=2'], "weft run: model.contextLength: the modular task's examples fill 4 positions (a + b =, then the answer): must be at least 4, got 2\n"],
      [['bench', '--set', 'data.p=97'], "weft run: model.vocabSize: the modular task mod 97 has 100 tokens (0…96, +, =, <pad>): must be 0 (the task's) or at least 100, got 64\n"],
      [['coreference'], 'weft run: probe: attention probes need words: a run on the story corpus (data.corpus story), not the modular task a + b mod 59\n'],
    ];
    for (const [args, line] of cases) {
      const r = weft(['run', ...args, '--set', 'data.kind=modular', '--steps', '2', '--no-log']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(line);
    }
  });
});
