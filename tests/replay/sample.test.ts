// DESIGN rule 8, inference is invariant: a sequence's logits are the same bits alone, in any batch,
// in the training forward pass and one token at a time (through the KV cache, and recomputing a
// padded window), on either kernel implementation and any thread count, in both numeric modes;
// and sampling built on them is a pure function of the state, the prompt and the options.
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/engine/trainer.ts';
import type { FloatArray } from '../../src/kernels/types.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { batchLogits, checkSample, Decoder, logits, sample, softmax, wordsToText, type ModelState } from '../../src/replay/sample.ts';
import { mergeConfig, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { tinyConfig } from '../helpers.ts';

/** Bit-for-bit equality of two float arrays (NaN payloads and −0 included). */
function sameBits(a: FloatArray, b: FloatArray): boolean {
  if (a.length !== b.length || a.constructor !== b.constructor) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}

/** The state of a trainer, copied (its buffers change with the next step). */
function stateOf(t: Trainer): ModelState {
  return { step: t.stepsDone, arch: t.arch, model: t.model.cfg, dtype: t.config.dtype, numericMode: t.numericMode, params: t.params.slice(), vocab: t.vocab };
}

/** `n` random token ids in [1, V) from a keyed stream (id 0, <unk>, left out to keep them words). */
function randomTokens(key: string, n: number, V: number): number[] {
  const r = keyedStream(1, 'test/sample', key);
  return Array.from({ length: n }, () => 1 + r.int(V - 1));
}

describe('logits are the same bits however they are computed', () => {
  let trainer: Trainer;
  let state: ModelState;
  let V: number;
  let T: number;
  let B: number;
  let stepInputs: Int32Array;
  let trainingLogits: FloatArray;

  beforeAll(async () => {
    // the tiny model, dropout off, a few steps in (weights no longer the init's), on the reference kernels
    trainer = new Trainer(await tinyConfig('baseline', 4, { model: { dropout: 0 } }), { implementation: 'reference' });
    for (let i = 0; i < 3; i++) trainer.step();
    state = stateOf(trainer);
    ({ vocabSize: V, contextLength: T } = state.model);
    B = trainer.config.data.batchSize;
    // the training forward pass of step 4, on the state after step 3: the logits before the update
    stepInputs = trainer.data.batch(4).inputs.slice();
    trainer.step();
    trainingLogits = trainer.model.lastLogits.slice();
  });

  it('the check compares bits: one ulp apart, or +0 and −0, are different', () => {
    const a = logits(state, randomTokens('ulp', 5, V));
    const b = a.slice();
    const u = new Uint32Array(b.buffer);
    u[7] += 1;
    expect(sameBits(a, a.slice())).toBe(true);
    expect(sameBits(a, b)).toBe(false);
    expect(sameBits(Float32Array.of(0), Float32Array.of(-0))).toBe(false);
  });

  it('in the training forward pass (the Trainer’s model on a batch of B × T) = each row alone', () => {
    expect(state.dtype).toBe('float32');
    expect(state.numericMode).toMatch(/f64acc/);
    expect(trainingLogits.length).toBe(B * T * V);
    for (let b = 0; b < B; b++) {
      const row = Array.from(stepInputs.subarray(b * T, (b + 1) * T));
      const alone = logits(state, row);
      expect(sameBits(alone, trainingLogits.subarray(b * T * V, (b + 1) * T * V)), `row ${b}`).toBe(true);
    }
  });

  it('alone (batch 1) = in batches of 2, 3 and 5 at every position of the batch, on random prompts', () => {
    for (const n of [1, 4, 9, T]) {
      const seqs = Array.from({ length: 5 }, (_, i) => randomTokens(`batch ${n} ${i}`, n, V));
      const alone = seqs.map((s) => logits(state, s));
      // the sequences differ, and so do their logits: the equalities below are not vacuous
      expect(sameBits(alone[0], alone[1])).toBe(false);
      for (const size of [2, 3, 5]) {
        for (let at = 0; at < size; at++) {
          const batch = Array.from({ length: size }, (_, i) => seqs[(i - at + 5) % 5]); // seqs[0] at position `at`
          const out = batchLogits(state, batch);
          expect(sameBits(out[at], alone[0]), `length ${n}, batch of ${size}, at ${at}`).toBe(true);
        }
      }
    }
  });

  it('token by token (the Decoder sampling uses: through the KV cache, or recomputing a window of any size, padded) = the whole sequence at once', () => {
    const seq = randomTokens('decoder', T, V);
    const whole = logits(state, seq);
    for (const window of [T, 7]) {
      for (const kvCache of [true, false]) {
        const d = new Decoder(state, window, { kvCache });
        for (let p = 1; p <= window; p++) {
          const next = d.next(seq.slice(0, p));
          expect(sameBits(next, whole.subarray((p - 1) * V, p * V)), `window ${window}, ${kvCache ? 'KV cache' : 'recomputed'}, after token ${p}`).toBe(true);
        }
        expect(d.windowsRecomputed).toBe(kvCache ? 0 : window);
        d.close();
      }
    }
    // and a prefix alone: its logits are the whole sequence's first rows
    expect(sameBits(logits(state, seq.slice(0, 5)), whole.subarray(0, 5 * V))).toBe(true);
  });

  it('past the context the window slides: each slid window is recomputed from its start (the cache\'s positions shifted), the same bits as the window alone', () => {
    const seq = randomTokens('slide', T + 4, V);
    const d = new Decoder(state, T);
    for (let p = 1; p <= T; p++) d.next(seq.slice(0, p));
    expect(d.windowsRecomputed).toBe(0);
    for (let end = T + 1; end <= seq.length; end++) {
      const window = seq.slice(end - T, end);
      expect(sameBits(d.next(window), logits(state, window).subarray((T - 1) * V)), `window ending at ${end}`).toBe(true);
    }
    expect(d.windowsRecomputed).toBe(4);
    // a new sequence shorter than the window starts the cache again
    expect(sameBits(d.next(seq.slice(2, 5)), logits(state, seq.slice(2, 5)).subarray(2 * V))).toBe(true);
    expect(d.windowsRecomputed).toBe(4);
    d.close();
  });

  it('the same bits on the WebAssembly kernels with 1, 2 and 3 threads as on the reference kernels', () => {
    const seqs = Array.from({ length: 3 }, (_, i) => randomTokens(`kernels ${i}`, T, V));
    const ref = batchLogits(state, seqs, { implementation: 'reference' });
    for (const threads of [1, 2, 3]) {
      const fast = batchLogits(state, seqs, { implementation: 'fast', threads });
      seqs.forEach((_, i) => expect(sameBits(fast[i], ref[i]), `fast, ${threads} threads, sequence ${i}`).toBe(true));
      for (const kvCache of [true, false]) {
        const d = new Decoder(state, T, { implementation: 'fast', threads, kvCache });
        expect(sameBits(d.next(seqs[1].slice(0, 6)), ref[1].subarray(5 * V, 6 * V)), `decoder, ${threads} threads, KV cache ${kvCache}`).toBe(true);
        d.close();
      }
    }
  });

  describe('sampling', () => {
    const prompt = 'the scientists published their';

    it('greedy: each token is the argmax of the logits of the sequence so far (alone)', () => {
      const s = sample(state, prompt, { tokens: 6 });
      expect(s.prompt.words).toEqual(['the', 'scientists', 'published', 'their']);
      expect(s.generated).toHaveLength(6);
      const seq = [...s.prompt.ids];
      for (const g of s.generated) {
        const row = logits(state, seq).subarray((seq.length - 1) * V);
        const best = row.indexOf(Math.max(...row));
        expect(g.id).toBe(best);
        const p = softmax(row);
        expect(g.probability).toBe(p[best]);
        expect(g.top[0].id).toBe(best);
        expect(g.top.map((t) => t.probability)).toEqual([...g.top.map((t) => t.probability)].sort((a, b) => b - a));
        seq.push(g.id);
      }
      expect(s.text).toBe(wordsToText(seq.map((id) => state.vocab![id])));
    });

    it('seeded sampling is a function of (state, prompt, options): the same on both kernel sets and any thread count; another seed gives another text', () => {
      const o = { tokens: 12, temperature: 0.8, seed: 3 };
      const a = sample(state, prompt, { ...o, implementation: 'reference' });
      expect(sample(state, prompt, { ...o, implementation: 'fast', threads: 3 })).toEqual(a);
      expect(sample(state, prompt, { ...o, implementation: 'fast', threads: 1 })).toEqual(a);
      expect(sample(state, prompt, { ...o, seed: 4 }).generated.map((g) => g.id)).not.toEqual(a.generated.map((g) => g.id));
      // draw i has a stream of its own: fewer tokens are a prefix of more
      expect(sample(state, prompt, { ...o, tokens: 5 }).generated).toEqual(a.generated.slice(0, 5));
      // and temperature 0.8 on this near-uniform young model is not greedy
      expect(a.generated.map((g) => g.id)).not.toEqual(sample(state, prompt, { tokens: 12 }).generated.map((g) => g.id));
    });

    it('top-k 1 and a tiny top-p keep only the likeliest token: any seed and temperature give the greedy text', () => {
      const greedy = sample(state, prompt, { tokens: 8 }).generated.map((g) => g.id);
      for (const seed of [0, 7]) {
        expect(sample(state, prompt, { tokens: 8, temperature: 1.5, topK: 1, seed }).generated.map((g) => g.id)).toEqual(greedy);
        expect(sample(state, prompt, { tokens: 8, temperature: 1.5, topP: 1e-9, seed }).generated.map((g) => g.id)).toEqual(greedy);
      }
      // top-k 3: every drawn token is among the 3 likeliest at its temperature (the model's own order)
      const s = sample(state, prompt, { tokens: 10, temperature: 2, topK: 3, seed: 5 });
      for (const g of s.generated) expect(g.top.slice(0, 3).map((t) => t.id)).toContain(g.id);
    });

    it('past the context the window slides: each later token is the argmax of the last T tokens alone', () => {
      const s = sample(state, prompt, { tokens: T + 3 });
      expect(s.slid).toBe(true);
      expect(sample(state, prompt, { tokens: T - 4 }).slid).toBe(false);
      const seq = [...s.prompt.ids, ...s.generated.map((g) => g.id)];
      for (let i = T; i < seq.length; i++) {
        const row = logits(state, seq.slice(i - T, i)).subarray((T - 1) * V);
        expect(seq[i], `token ${i}`).toBe(row.indexOf(Math.max(...row)));
      }
    });

    it('unknown words read as <unk> and are named; bad options and prompts are one line naming the flag', () => {
      const s = sample(state, 'the zorblax scientists', { tokens: 1 });
      expect(s.prompt.words).toEqual(['the', '<unk>', 'scientists']);
      expect(s.prompt.unknown).toEqual(['zorblax']);
      const bad: [string | number[], object, RegExp][] = [
        ['zorblax quux', {}, /^--prompt "zorblax quux": none of its words is in the run's vocabulary \(zorblax, quux\)$/],
        ['', {}, /^--prompt "": no words in it$/],
        [Array(T + 1).fill(1), {}, new RegExp(`^--prompt: ${T + 1} tokens, more than the model's context of ${T}$`)],
        [prompt, { temperature: -0.5 }, /^--temperature -0.5: expected a number ≥ 0/],
        [prompt, { topK: 0 }, /^--top-k 0: expected a whole number ≥ 1/],
        [prompt, { topP: 0 }, /^--top-p 0: expected a number in \(0, 1\]$/],
        [prompt, { topP: 1.5 }, /^--top-p 1.5: expected a number in \(0, 1\]$/],
        [prompt, { tokens: 0 }, /^--tokens 0: expected a whole number/],
        [[1, V], {}, new RegExp(`^prompt: token 1 is ${V}, the vocabulary has ids 0…${V - 1}$`)],
      ];
      for (const [p, o, msg] of bad) expect(() => checkSample(state, p, o), JSON.stringify([p, o])).toThrow(msg);
      expect(() => checkSample({ ...state, vocab: null }, prompt)).toThrow(/^--prompt: sampling needs text, and this run is on token ids \(the random corpus, a token file\) with no tokenizer of text$/);
      expect(checkSample({ ...state, vocab: null }, [3, 4]).ids).toEqual([3, 4]);
    });
  });
});

describe('through the KV cache: the training forward pass\'s bits at every position, in both numeric modes', () => {
  const MODELS: [string, DeepPartial<WeftConfig>][] = [
    ['gpt (the tiny baseline)', {}],
    ['gpt, attention only (model.mlp false)', { model: { mlp: false } }],
    ['gpt-rms', { model: { arch: 'gpt-rms', bias: false } }],
  ];
  const CHOICES = [{ implementation: 'reference' as const }, ...[1, 2, 3].map((threads) => ({ implementation: 'fast' as const, threads }))];

  for (const numeric of ['f64acc', 'f32acc'] as const) {
    for (const [name, over] of MODELS) {
      it(`${name}, ${numeric}: each position through the cache = the training forward pass's row = the sequence alone, reference and fast kernels, 1/2/3 threads`, async () => {
        // dropout off, two steps in, on the reference kernels; the training forward pass of step 3 is on the state after step 2
        const trainer = new Trainer(await tinyConfig('baseline', 3, mergeConfig({ numeric, model: { dropout: 0 } } as DeepPartial<WeftConfig>, over) as DeepPartial<WeftConfig>), { implementation: 'reference' });
        trainer.step();
        trainer.step();
        const state = stateOf(trainer);
        expect(state.numericMode).toMatch(numeric);
        expect(state.model).toMatchObject({ arch: 'gpt', mlp: true, dropout: 0, ...over.model });
        const { vocabSize: V, contextLength: T } = state.model;
        const inputs = trainer.data.batch(3).inputs.slice();
        trainer.step();
        const training = trainer.model.lastLogits.slice();
        const prompts = [1, 5, T].map((n, i) => randomTokens(`cache ${numeric} ${name} ${i}`, n, V));
        const alone = prompts.map((p) => logits(state, p, { implementation: 'reference' }));
        for (const choice of CHOICES) {
          const how = `${choice.implementation}${'threads' in choice ? `, ${choice.threads} threads` : ''}`;
          const d = new Decoder(state, T, choice);
          // two rows of the training batch, a token at a time: every position of 16, each row's logits of the trainer's own pass
          for (const b of [0, 1]) {
            const row = Array.from(inputs.subarray(b * T, (b + 1) * T));
            for (let p = 1; p <= T; p++) {
              const at = (b * T + p - 1) * V;
              expect(sameBits(d.next(row.slice(0, p)), training.subarray(at, at + V)), `${how}: row ${b}, position ${p - 1}`).toBe(true);
            }
          }
          // random prompts, fed whole (the cache starts again for each): their last row alone
          prompts.forEach((p, i) => {
            const n = p.length;
            if (n < T) expect(sameBits(d.next(p), alone[i].subarray((n - 1) * V, n * V)), `${how}: prompt ${i}`).toBe(true);
          });
          expect(d.windowsRecomputed, how).toBe(0);
          d.close();
        }
        // the rows differ: the equalities above are not vacuous
        expect(sameBits(training.subarray(0, V), training.subarray(T * V, T * V + V))).toBe(false);
      }, 60_000);
    }
  }

  it('the cache holds positions 0…maxLength−1: reset starts again at position 0 with the same bits; a full cache, a bad token and a cache longer than the context are RangeErrors', async () => {
    const trainer = new Trainer(await tinyConfig('baseline', 1, { model: { dropout: 0 } }), { implementation: 'reference' });
    const model = trainer.model;
    const V = model.cfg.vocabSize;
    const d = model.decoder!(4);
    const seq = [3, 9, 9, 7];
    const first = seq.map((id) => d.append(id).slice());
    expect(d.length).toBe(4);
    // the same token at positions 1 and 2: other logits (positions are embedded, and the keys so far differ)
    expect(sameBits(first[1], first[2])).toBe(false);
    expect(() => d.append(2)).toThrow(new RangeError('the KV cache holds 4 positions, all taken: reset it'));
    d.reset();
    expect(d.length).toBe(0);
    seq.forEach((id, i) => expect(sameBits(d.append(id), first[i]), `position ${i} after reset`).toBe(true));
    d.reset();
    expect(() => d.append(V)).toThrow(new RangeError(`token id ${V} out of range [0, ${V})`));
    expect(d.length).toBe(0);
    expect(() => model.decoder!(model.cfg.contextLength + 1)).toThrow(new RangeError(`a KV cache of ${model.cfg.contextLength + 1} positions: the model's context holds 1…${model.cfg.contextLength}`));
  });
});
