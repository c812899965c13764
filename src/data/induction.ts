import { ConfigError, UsageError } from '../errors.ts';
import { IGNORED_TARGET } from '../kernels/types.ts';
import { keyedStream } from '../rng/keyed.ts';
import { splitExamples } from './split.ts';
import type { DataConfig, Task, TaskFormat, TaskKind, TaskModel } from './task.ts';

/** The vocabulary when the model says 0 (model.vocabSize): the tiny model's 64 tokens. */
export const INDUCTION_VOCAB_SIZE = 64;

/**
 * The lengths a run in a context of T may have, each sequence its own: from ⌈T/4⌉ (at least 2)
 * to ⌈(T+1)/2⌉, so that a run always occurs at least twice in the T + 1 tokens of inputs and
 * targets. A run length that varies is what makes the repeat need an induction head: with one
 * fixed length a head could copy the token a fixed distance back by position alone (measured:
 * a 1-layer model then learns the repeats as well as a 2-layer one).
 */
export function runLengthsOf(T: number): { min: number; max: number } {
  const max = Math.ceil((T + 1) / 2);
  return { min: Math.min(max, Math.max(2, Math.ceil(T / 4))), max };
}

const examplesOf = (d: DataConfig, T: number): number => Math.floor(d.randomTokens / T);

function checkInduction(d: DataConfig, m: TaskModel): void {
  const V = m.vocabSize || INDUCTION_VOCAB_SIZE;
  const n = runLengthsOf(m.contextLength).max;
  if (m.contextLength < 3) throw new ConfigError('model.contextLength', `the induction task repeats a run within the context: must be at least 3 (a token, its successor, the token again), got ${m.contextLength}`);
  if (V < n) throw new ConfigError('model.vocabSize', `the induction task's runs hold ${n} distinct tokens (context ${m.contextLength}): must be 0 (${INDUCTION_VOCAB_SIZE}) or at least ${n}, got ${m.vocabSize}`);
  const examples = examplesOf(d, m.contextLength);
  if (examples < 2) throw new ConfigError('data.randomTokens', `the induction task makes ⌊randomTokens / contextLength⌋ sequences: ${d.randomTokens} / ${m.contextLength} makes ${examples}, at least 2 needed`);
}

/**
 * The task's prompts: token ids separated by spaces ("5 17 3 9 5 17"), each one of the
 * vocabulary's; its rule, the induction head's: the next token is the one that followed the
 * last token's previous occurrence (none when the last token is new).
 */
function inductionFormat(d: DataConfig, m: TaskModel): TaskFormat {
  const V = m.vocabSize || INDUCTION_VOCAB_SIZE;
  const expected = `a prompt of this run is token ids 0…${V - 1} separated by spaces`;
  return {
    task: induction.describe(d),
    rule: 'the token after the previous occurrence of the token before it',
    tokens: 16,
    read(text) {
      const pieces = text.split(/\s+/).filter((x) => x !== '');
      const bad = (what: string) => new UsageError(`--prompt ${JSON.stringify(text)}: ${what} (${expected})`);
      if (pieces.length === 0) throw bad('no token ids in it');
      return pieces.map((x) => {
        if (!/^\d+$/.test(x)) throw bad(`${x} is not a token id`);
        if (Number(x) >= V) throw bad(`${x} is not a token id of the run's vocabulary`);
        return Number(x);
      });
    },
    name: String,
    next(context) {
      const last = context.length - 1;
      for (let j = last - 1; j >= 0; j--) if (context[j] === context[last]) return context[j + 1];
      return null;
    },
  };
}

/**
 * Induction (Elhage et al. 2021, Olsson et al. 2022): a run of n distinct random tokens, then
 * the same run again and again to the end of the context — `A B C … A B C …` — n drawn per
 * sequence (runLengthsOf). The first run cannot be predicted (≈ ln V nats a token); the repeats
 * can, by looking back at what followed the token's earlier occurrence: the induction head's job. Sequence i is drawn from stream
 * `data/induction/sequence i` of the data seed (corpusSeed), apart from every other.
 * There are ⌊data.randomTokens / T⌋ sequences, split by data.trainFraction's keyed split. A
 * training sequence counts its loss on every position; a held-out sequence only on the repeated
 * half (inputs n…T−1) — so an evaluation's held-out loss is the in-context-learning measure, on
 * sequences no batch trained on, and its training loss is the loss on every position.
 */
export const induction: TaskKind = {
  kind: 'induction',
  describe: () => 'induction task (random runs repeated)',
  words: () => false,
  check: checkInduction,
  format: inductionFormat,
  build(d, m): Task {
    checkInduction(d, m);
    const T = m.contextLength;
    const V = m.vocabSize || INDUCTION_VOCAB_SIZE;
    const lengths = runLengthsOf(T);
    const examples = examplesOf(d, T);
    // the same keyed split the Dataset takes (split.ts): the task masks its held-out side
    const heldOut = new Uint8Array(examples);
    for (const i of splitExamples(examples, d.trainFraction, d.corpusSeed, 'induction task').heldOut) heldOut[i] = 1;
    const run = new Int32Array(lengths.max);
    const pool = new Int32Array(V);
    return {
      vocabSize: V,
      vocabulary: null,
      tokenizer: null,
      examples,
      oneAnswer: false,
      write(i, inputs, targets) {
        const n = sequenceRun(d.corpusSeed, i, lengths, pool, run);
        for (let t = 0; t < T; t++) {
          inputs[t] = run[t % n];
          targets[t] = heldOut[i] && t < n ? IGNORED_TARGET : run[(t + 1) % n];
        }
      },
    };
  },
};

/**
 * Sequence i's run into run[0…n−1], and n: its length (uniform in `lengths`), then n distinct
 * tokens of V (a partial Fisher–Yates shuffle of the pool), all from the sequence's own stream.
 */
export function sequenceRun(corpusSeed: number, i: number, lengths: { min: number; max: number }, pool: Int32Array, run: Int32Array): number {
  const r = keyedStream(corpusSeed, 'data/induction', `sequence ${i}`);
  const n = lengths.min + r.int(lengths.max - lengths.min + 1);
  for (let v = 0; v < pool.length; v++) pool[v] = v;
  for (let k = 0; k < n; k++) {
    const j = k + r.int(pool.length - k);
    const x = pool[j];
    pool[j] = pool[k];
    pool[k] = x;
    run[k] = x;
  }
  return n;
}
