// The data behind every task: the corpora's batches as before, the keyed train/held-out split,
// stateless batches, evaluation batches, and a batch that counts no target.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig } from '../../src/config/config.ts';
import { canonicalConfig, completeConfig } from '../../src/config/evolution.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { registerTask, taskKindOf, taskKinds } from '../../src/data/registry.ts';
import { storyCorpusText } from '../../src/data/story.ts';
import type { DataConfig, TaskKind } from '../../src/data/task.ts';
import { Tokenizer } from '../../src/data/tokenizer.ts';
import { IGNORED_TARGET } from '../../src/kernels/types.ts';
import { keyedStream } from '../../src/rng/keyed.ts';

const data = (over: Partial<DataConfig> = {}): DataConfig => ({ ...DEFAULT_CONFIG.data, ...over });

/** The corpora's batches as weft wrote them before data.kind (the old Dataset, verbatim in substance). */
function oldBatch(cfg: DataConfig, vocabSize: number, T: number, seed: number, step: number) {
  let tokens: Int32Array;
  if (cfg.corpus === 'story') {
    const texts = storyCorpusText(cfg.corpusSeed, cfg.sentences);
    const tok = Tokenizer.fromTexts(texts, vocabSize);
    tokens = Int32Array.from(texts.flatMap((t) => tok.encode(t)));
  } else {
    const r = keyedStream(cfg.corpusSeed, 'data/random');
    tokens = Int32Array.from({ length: cfg.randomTokens }, () => r.int(vocabSize));
  }
  const windows = Math.floor((tokens.length - 1) / T);
  const perm = (epoch: number) => {
    const p = Uint32Array.from({ length: windows }, (_, i) => i);
    const r = keyedStream(seed, 'data/shuffle', `epoch ${epoch}`);
    for (let i = p.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  };
  const B = cfg.batchSize;
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const g = (step - 1) * B + b;
    const start = perm(Math.floor(g / windows))[g % windows] * T;
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = tokens[start + t];
      targets[b * T + t] = tokens[start + t + 1];
    }
  }
  return { inputs, targets };
}

/** The example ids a dataset writes while `f` runs. */
function idsWritten(d: Dataset, f: () => void): number[] {
  const ids: number[] = [];
  const write = d.task.write;
  (d.task as { write: typeof write }).write = (i, inputs, targets) => {
    ids.push(i);
    write(i, inputs, targets);
  };
  f();
  (d.task as { write: typeof write }).write = write;
  return ids;
}

describe('the corpus kind: language modelling on data.corpus', () => {
  it('gives the batches of every weft before data.kind, epochs included (story and random)', () => {
    for (const [cfg, V] of [[data({ sentences: 40 }), 0], [data({ corpus: 'random', randomTokens: 500 }), 16]] as const) {
      const d = new Dataset(cfg, V, 16, 3);
      // 500 random tokens are 31 windows: step 9 of batch 8 is in the third epoch
      for (const step of [1, 2, 9, 40]) expect(d.batch(step), `${cfg.corpus} step ${step}`).toEqual(oldBatch(cfg, V, 16, 3, step));
    }
  });

  it('every target counts, and the vocabulary is the tokenizer\'s words (story) or none (random)', () => {
    const story = new Dataset(data({ sentences: 40 }), 0, 16, 1);
    expect(story.batch(1).targets.every((t) => t >= 0)).toBe(true);
    expect(story.vocabulary).toEqual(story.tokenizer!.vocab);
    expect(story.vocabulary![0]).toBe('<unk>');
    expect(new Dataset(data({ corpus: 'random', randomTokens: 500 }), 16, 16, 1).vocabulary).toBeNull();
  });
});

describe('the train/held-out split', () => {
  const cfg = data({ corpus: 'random', randomTokens: 2000, trainFraction: 0.75 });

  it('holds out ⌊(1 − f)·n⌋ examples, chosen by the data\'s seed: the run seed changes their order, never the split', () => {
    const d = new Dataset(cfg, 16, 16, 1);
    const n = d.task.examples;
    expect(d.split.train.length).toBe(Math.floor(0.75 * n));
    expect(new Set([...d.split.train, ...d.split.heldOut]).size).toBe(n);
    expect([...d.split.heldOut]).toEqual([...d.split.heldOut].sort((a, b) => a - b));
    const other = new Dataset(cfg, 16, 16, 2);
    expect(other.split).toEqual(d.split);
    expect(other.batch(1)).not.toEqual(d.batch(1));
    expect(new Dataset({ ...cfg, corpusSeed: 2 }, 16, 16, 1).split.heldOut).not.toEqual(d.split.heldOut);
  });

  it('training visits the train split only, each example once per epoch', () => {
    const d = new Dataset(cfg, 16, 16, 1);
    const epochSteps = d.split.train.length / cfg.batchSize; // 93 of 124 windows: not whole
    const ids = idsWritten(d, () => {
      for (let s = 1; s <= Math.floor(epochSteps); s++) d.batch(s);
    });
    const held = new Set(d.split.heldOut);
    expect(ids.some((i) => held.has(i))).toBe(false);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('evaluation batches hold a split once each, in ascending order; the last one\'s spare rows count nothing', () => {
    const d = new Dataset(cfg, 16, 16, 1);
    const n = d.evalBatches('heldOut');
    expect(n).toBe(Math.ceil(d.split.heldOut.length / cfg.batchSize));
    const ids = idsWritten(d, () => {
      for (let i = 0; i < n; i++) d.evalBatch('heldOut', i);
    });
    expect(ids).toEqual([...d.split.heldOut]);
    const spare = n * cfg.batchSize - d.split.heldOut.length;
    expect(spare).toBeGreaterThan(0);
    const last = d.evalBatch('heldOut', n - 1).targets;
    expect(last.subarray(last.length - spare * 16).every((t) => t === IGNORED_TARGET)).toBe(true);
    expect(() => d.evalBatch('heldOut', n)).toThrow(`heldOut batch ${n}: the heldOut split has ${n} batches (${d.split.heldOut.length} examples)`);
  });

  it('trainFraction 1 holds nothing out; one that trains nothing is a ConfigError', () => {
    expect(new Dataset(data({ corpus: 'random', randomTokens: 500 }), 16, 16, 1).split.heldOut).toHaveLength(0);
    expect(() => new Dataset(data({ kind: 'modular', p: 3, trainFraction: 0.1 }), 0, 4, 1)).toThrow('data.trainFraction: 0.1 × 9 examples (the modular task a + b mod 3) trains none');
    expect(() => validateConfig(mergeConfig(DEFAULT_CONFIG, { data: { trainFraction: 0 } }))).toThrow('data.trainFraction: must be > 0, got 0');
  });
});

describe('batches', () => {
  it('are stateless: the batch of step N follows from N alone', () => {
    const cfg = data({ kind: 'modular', p: 11, trainFraction: 0.5 });
    const walked = new Dataset(cfg, 0, 4, 5);
    for (let s = 1; s < 30; s++) walked.batch(s);
    expect(walked.batch(30)).toEqual(new Dataset(cfg, 0, 4, 5).batch(30));
  });

  it('a batch that counts no target is one ConfigError naming the data, never a loss of 0/0', () => {
    const silent: TaskKind = {
      kind: 'silent-test',
      describe: () => 'silent test task',
      words: () => false,
      check: () => {},
      build: () => ({ vocabSize: 4, vocabulary: null, tokenizer: null, examples: 3, oneAnswer: false, write: (_i, inputs, targets) => { inputs.fill(0); targets.fill(IGNORED_TARGET); } }),
    };
    const forget = registerTask(silent);
    try {
      expect(taskKinds()).toContain('silent-test');
      expect(() => new Dataset(data({ kind: 'silent-test' }), 4, 4, 1).batch(2)).toThrow('data.kind: the batch of step 2 of the silent test task counts no target: every target is ignored (-100), and a mean loss over none is undefined');
      expect(() => registerTask(silent)).toThrow('data kind silent-test is registered twice');
    } finally {
      forget();
    }
    // gone again: another test file in this process lists the kinds
    expect(taskKinds()).not.toContain('silent-test');
  });
});

describe('data.kind in the config', () => {
  it('is corpus unless told, and an unknown kind names the known ones', () => {
    expect(DEFAULT_CONFIG.data.kind).toBe('corpus');
    expect(taskKinds().slice(0, 2)).toEqual(['corpus', 'modular']);
    expect(() => validateConfig(mergeConfig(DEFAULT_CONFIG, { data: { kind: 'nope' } }))).toThrow('data.kind: must be one of "corpus", "modular"');
    expect(() => taskKindOf('nope')).toThrow('data.kind: "nope" is not a data kind this weft knows (corpus, modular');
  });

  it('a stored config without the data keys reads as before (the corpus, every example trains); one at those values stores none of them', () => {
    const { kind, trainFraction, p, op, path, tokenizer, heldOutPath, vocabPath, ...before } = DEFAULT_CONFIG.data;
    expect([kind, trainFraction, p, op, path, tokenizer, heldOutPath, vocabPath]).toEqual(['corpus', 1, 59, '+', '', 'char', '', '']);
    const stored = { ...DEFAULT_CONFIG, data: { ...before, corpus: 'random' } };
    expect(completeConfig(stored).data).toEqual({ ...DEFAULT_CONFIG.data, corpus: 'random' });
    expect(canonicalConfig(DEFAULT_CONFIG).data).toEqual(before);
    const modular = validateConfig(mergeConfig(DEFAULT_CONFIG, { data: { kind: 'modular', p: 23, trainFraction: 0.5 } }));
    expect(canonicalConfig(modular).data).toEqual({ ...before, kind: 'modular', p: 23, trainFraction: 0.5 });
  });
});
