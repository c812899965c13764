// Running a model on tokens and sampling from it, exactly (weft sample, completion probes): the
// engine's part, which the recorder uses too; reading a state out of a log is replay/sample.ts.
import { UsageError } from '../errors.ts';
import { exp } from '../math/elementary.ts';
import { keyedStream } from '../rng/keyed.ts';
import { kernelsFor, type KernelImplementation } from '../kernels/registry.ts';
import type { Dtype, FloatArray, Kernels } from '../kernels/types.ts';
import { architectureOf, type Model } from '../model/model.ts';
import type { IncrementalDecoder } from '../model/architecture.ts';
import type { ModelConfig } from '../model/params.ts';
import { wordCodec, wordsToText, type TextCodec } from '../data/text-codec.ts';
import type { TaskFormat } from '../data/task.ts';

export { wordsToText } from '../data/text-codec.ts';

/**
 * What running a model needs: its architecture and config (vocabulary size resolved), the numeric
 * mode and storage type it was trained in, its parameters, and the words of its vocabulary (null
 * for a run on token ids, the random corpus, and for a text read by characters or BPE, whose
 * `codec` reads and writes its text). A log gives one (replay/sample.ts modelStateAt); so can a Trainer.
 */
export interface ModelState {
  step: number;
  arch: string;
  model: ModelConfig;
  dtype: Dtype;
  numericMode: string;
  params: FloatArray;
  vocab: readonly string[] | null;
  /** how text becomes its tokens and back: by default the word tokenizer of `vocab` (none without one) */
  codec?: TextCodec | null;
  /** a task's prompt format and rule (modular, induction): a text prompt is read by it, and what the model writes is scored */
  task?: TaskFormat | null;
}

/** A state's text codec: its own, else its word vocabulary's, else none (token ids only). */
function codecOf(state: Pick<ModelState, 'vocab' | 'codec'>): TextCodec | null {
  return state.codec ?? (state.vocab ? wordCodec(state.vocab) : null);
}

/** The kernel implementation and threads to run on (by default the registry's: the CLI's --kernels, --threads). */
export interface KernelChoice {
  implementation?: KernelImplementation;
  threads?: number;
}

/** Every token an id of the vocabulary 0…V−1, else a UsageError naming it. */
function checkTokens(rows: readonly (readonly number[])[], V: number): void {
  rows.forEach((row, b) => row.forEach((id, t) => {
    if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new UsageError(`token ${t} of sequence ${b} is ${id}: the vocabulary has ids 0…${V - 1}`);
  }));
}

/**
 * The model of a state, for `batch` sequences of `length` tokens, on kernels of the state's
 * numeric mode (never another: DESIGN rule 7), dropout off.
 */
class Runner {
  readonly model: Model;
  private readonly kernels: Kernels;
  private readonly inputs: Int32Array;
  private readonly targets: Int32Array;

  constructor(state: ModelState, readonly batch: number, readonly length: number, choice: KernelChoice) {
    const cfg = state.model;
    if (!Number.isInteger(length) || length < 1 || length > cfg.contextLength) throw new UsageError(`a sequence of ${length} tokens: the model's context holds 1…${cfg.contextLength}`);
    this.kernels = kernelsFor(state.numericMode, choice.implementation, choice.threads);
    this.model = architectureOf(state.arch).create(cfg, this.kernels, state.dtype, batch, length);
    if (this.model.params.length !== state.params.length) throw new UsageError(`the state has ${state.params.length} parameters, the ${state.arch} model of its config ${this.model.params.length}`);
    this.model.params.set(state.params);
    this.inputs = new Int32Array(batch * length);
    this.targets = new Int32Array(batch * length); // the loss is not read: any valid targets do
  }

  /** Runs the model on the rows (each at most `length` tokens, the rest padded with id 0); the logits, (batch, length, V). */
  run(rows: readonly (readonly number[])[]): FloatArray {
    const V = this.model.cfg.vocabSize;
    checkTokens(rows, V);
    this.inputs.fill(0);
    rows.forEach((row, b) => row.forEach((id, t) => {
      this.inputs[b * this.length + t] = id;
    }));
    this.model.forward(this.inputs, this.targets, null);
    return this.model.lastLogits;
  }

  close(): void {
    (this.kernels as Kernels & { close?: () => void }).close?.();
  }
}

/**
 * The logits of equal-length sequences run as one batch: one (T, V) array per sequence, row t
 * the logits after its token t. A sequence's logits are the same bits in any batch, alone, in
 * the training forward pass and one token at a time (DESIGN rule 8; tests/replay/sample.test.ts).
 */
export function batchLogits(state: ModelState, sequences: readonly (readonly number[])[], choice: KernelChoice = {}): FloatArray[] {
  const T = sequences[0]?.length ?? 0;
  if (sequences.some((s) => s.length !== T)) throw new UsageError('batchLogits: the sequences of a batch must have the same length');
  const r = new Runner(state, sequences.length, T, choice);
  try {
    const out = r.run(sequences);
    const V = state.model.vocabSize;
    return sequences.map((_, b) => out.slice(b * T * V, (b + 1) * T * V));
  } finally {
    r.close();
  }
}

/** The logits of one sequence (T × V, row t the logits after token t). */
export function logits(state: ModelState, tokens: readonly number[], choice: KernelChoice = {}): FloatArray {
  return batchLogits(state, [tokens], choice)[0];
}

/**
 * Next-token logits, one call per token, as decoding asks for them. While each call's tokens are
 * the last call's and more, a KV cache runs the new positions only (Model.decoder, for an
 * architecture that has one): the full pass's bits (DESIGN rule 8). A full window that is not
 * the last one grown — the sequence outgrew the context and the window slid: every position
 * shifted, and each cached key and value belongs to its old position — is recomputed from the
 * start, as is every call for an architecture without a cache: one model of `window` positions,
 * the tokens at its start and id 0 after them. The padding cannot reach the logits read:
 * attention is causal and every reduction runs over one output's own inputs, so position t sees
 * positions ≤ t only, in the same order whatever the window.
 */
export class Decoder {
  private readonly runner: Runner;
  private readonly cache: IncrementalDecoder | null;
  /** the tokens whose keys and values the cache holds, position 0 on */
  private held: number[] = [];
  private recomputed = 0;

  /** `kvCache` false: recompute every window from the start, as for an architecture without a cache */
  constructor(state: ModelState, readonly window: number, choice: KernelChoice & { kvCache?: boolean } = {}) {
    this.runner = new Runner(state, 1, window, choice);
    this.cache = choice.kvCache === false ? null : this.runner.model.decoder?.(window) ?? null;
  }

  /** The calls answered by recomputing their window from the start (not through the KV cache). */
  get windowsRecomputed(): number {
    return this.recomputed;
  }

  /** The logits after the last of `tokens` (1…window tokens), copied. */
  next(tokens: readonly number[]): FloatArray {
    const n = tokens.length;
    if (n < 1 || n > this.window) throw new RangeError(`Decoder.next: 1…${this.window} tokens, got ${n}`);
    const V = this.runner.model.cfg.vocabSize;
    if (this.cache) {
      const grown = this.held.length < n && this.held.every((id, i) => id === tokens[i]);
      // a new sequence that fits starts the cache again; a full window that is not the last one grown (slid) cannot use it
      if (grown || n < this.window) {
        checkTokens([tokens], V);
        if (!grown) {
          this.cache.reset();
          this.held = [];
        }
        let row: FloatArray | null = null;
        for (let i = this.held.length; i < n; i++) {
          row = this.cache.append(tokens[i]);
          this.held.push(tokens[i]);
        }
        return row!.slice(); // held.length < n: one token appended at least
      }
    }
    this.recomputed++;
    return this.runner.run([tokens]).slice((n - 1) * V, n * V);
  }

  close(): void {
    this.runner.close();
  }
}

export interface SampleOptions extends KernelChoice {
  /** tokens to generate (default 16) */
  tokens?: number;
  /** 0 = greedy, the default */
  temperature?: number;
  /** sample among the k likeliest tokens only (default: all) */
  topK?: number;
  /** sample among the likeliest tokens whose probability reaches p (nucleus; default 1: all) */
  topP?: number;
  /** the keyed stream's seed (default 0); draw i comes from keyedStream(seed, 'sample/token', i) */
  seed?: number;
  /** how many of the likeliest tokens each generated token reports (default 5) */
  alternatives?: number;
}

export interface TokenProbability {
  id: number;
  /** the token's name: a word, a character, a BPE token's text */
  word: string;
  /** the model's own probability (temperature 1, before top-k and top-p) */
  probability: number;
}

export interface SampledToken extends TokenProbability {
  /** the likeliest tokens at this position, likeliest first (ties: lower id first) */
  top: TokenProbability[];
}

/** A generated token against the task's rule. */
export interface TokenScore {
  /** the token the rule says is right, and its name */
  expected: number;
  word: string;
  correct: boolean;
  /** the model's probability of the right token (temperature 1, as `probability`) */
  expectedProbability: number;
}

/** What the model wrote, scored by its task's rule (a state with a `task`). */
export interface SampleScore {
  task: string;
  rule: string;
  /** the generated tokens the rule names a right token for */
  scored: number;
  /** of them, the ones the model wrote */
  correct: number;
  /** per generated token (as `generated`), null where the rule names none */
  tokens: (TokenScore | null)[];
}

export interface Sample {
  step: number;
  /** `words`: its tokens' names */
  prompt: { text: string; ids: number[]; words: string[]; unknown: string[] };
  generated: SampledToken[];
  /** the prompt and the continuation as text: words and punctuation (the vocabulary's spelling), characters joined, BPE bytes read as UTF-8 */
  text: string;
  continuation: string;
  options: { tokens: number; temperature: number; topK: number | null; topP: number; seed: number };
  contextLength: number;
  /**
   * the sequence outgrew the context: later tokens were each predicted from the `contextLength`
   * before them, each window recomputed from its start (its positions shifted: the KV cache,
   * which serves the tokens before, holds keys and values per position)
   */
  slid: boolean;
  /** a task's run: the generated tokens against the task's rule */
  score?: SampleScore;
}

const TOKENS_MAX = 100_000;

function checkOptions(o: SampleOptions, V: number, tokensDefault: number): Sample['options'] & { alternatives: number } {
  const tokens = o.tokens ?? tokensDefault;
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > TOKENS_MAX) throw new UsageError(`--tokens ${tokens}: expected a whole number 1…${TOKENS_MAX}`);
  const temperature = o.temperature ?? 0;
  if (!(Number.isFinite(temperature) && temperature >= 0)) throw new UsageError(`--temperature ${temperature}: expected a number ≥ 0 (0 = greedy)`);
  const topK = o.topK ?? null;
  if (topK !== null && !(Number.isInteger(topK) && topK >= 1)) throw new UsageError(`--top-k ${topK}: expected a whole number ≥ 1 (leave it out to keep every token)`);
  const topP = o.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new UsageError(`--top-p ${topP}: expected a number in (0, 1]`);
  // greedy takes the likeliest token: a top-k or top-p there would be silently ignored
  if (temperature === 0 && (o.topK !== undefined || o.topP !== undefined)) throw new UsageError(`--${o.topK !== undefined ? 'top-k' : 'top-p'} applies when sampling: give --temperature above 0 too (at 0, greedy, the likeliest token is taken)`);
  const seed = o.seed ?? 0;
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new UsageError(`--seed ${seed}: expected a whole number ≥ 0`);
  const alternatives = Math.min(V, o.alternatives ?? 5);
  return { tokens, temperature, topK: topK === null ? null : Math.min(topK, V), topP, seed, alternatives };
}

/** softmax(row / temperature) in float64, summed in id order with exp built from + − × ÷ (DESIGN rule 3). */
export function softmax(row: ArrayLike<number>, temperature = 1): Float64Array {
  const p = new Float64Array(row.length);
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    p[i] = exp((row[i] - max) / temperature);
    sum += p[i];
  }
  for (let i = 0; i < row.length; i++) p[i] /= sum;
  return p;
}

/** Token ids by probability, likeliest first; equal probabilities by id. */
function byProbability(p: Float64Array): number[] {
  return Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
}

/** The first id of the largest logit. */
function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * One token drawn from softmax(row / T), kept to the top k and then to the nucleus of mass p
 * (of what top-k kept, as Hugging Face's warpers chain), by one uniform draw `u` walked along the
 * kept tokens, likeliest first: plain float64 arithmetic in a fixed order, the same on every runtime.
 */
function draw(row: ArrayLike<number>, temperature: number, topK: number | null, topP: number, u: number): number {
  const p = softmax(row, temperature);
  const order = byProbability(p);
  let kept = topK ?? order.length;
  let massK = 0;
  for (let i = 0; i < kept; i++) massK += p[order[i]];
  if (topP < 1) {
    let c = 0;
    for (let i = 0; i < kept; i++) {
      c += p[order[i]];
      if (c >= topP * massK) {
        kept = i + 1;
        break;
      }
    }
  }
  let mass = 0;
  for (let i = 0; i < kept; i++) mass += p[order[i]];
  const target = u * mass;
  let c = 0;
  for (let i = 0; i < kept; i++) {
    c += p[order[i]];
    if (target < c) return order[i];
  }
  return order[kept - 1];
}

/** A prompt read and options checked, before any work: what sample will run. */
export interface CheckedSample {
  ids: number[];
  /** the prompt's words that are not in the vocabulary (read as <unk>), or characters (left out) */
  unknown: string[];
  options: Sample['options'] & { alternatives: number };
}

/**
 * The prompt's token ids and the options, checked against the model (its vocabulary and
 * context): each bad one is a UsageError naming its flag. Needs no parameters, so a command can
 * refuse bad input before it replays a log.
 */
export function checkSample(state: Pick<ModelState, 'model' | 'vocab' | 'codec' | 'task'>, prompt: string | readonly number[], options: SampleOptions = {}): CheckedSample {
  const V = state.model.vocabSize;
  const T = state.model.contextLength;
  const o = checkOptions(options, V, state.task?.tokens ?? 16);
  let ids: number[];
  let unknown: string[] = [];
  if (typeof prompt === 'string' && state.task) {
    ids = state.task.read(prompt);
  } else if (typeof prompt === 'string') {
    const codec = codecOf(state);
    if (!codec) throw new UsageError('--prompt: sampling needs text, and this run is on token ids (the random corpus, a token file) with no tokenizer of text');
    const read = codec.encode(prompt);
    ({ ids, unknown } = read);
    if (read.pieces === 0) throw new UsageError(`--prompt ${JSON.stringify(prompt)}: no ${codec.piece}s in it`);
    if (read.known === 0) throw new UsageError(`--prompt ${JSON.stringify(prompt)}: none of its ${codec.piece}s is in the run's vocabulary (${unknown.map(codec.show).join(', ')})`);
  } else {
    ids = [...prompt];
    if (ids.length === 0) throw new UsageError('prompt: no tokens in it');
    const bad = ids.findIndex((id) => !(Number.isInteger(id) && id >= 0 && id < V));
    if (bad >= 0) throw new UsageError(`prompt: token ${bad} is ${ids[bad]}, the vocabulary has ids 0…${V - 1}`);
  }
  if (ids.length > T) throw new UsageError(`--prompt: ${ids.length} tokens, more than the model's context of ${T}`);
  return { ids, unknown, options: o };
}

/**
 * What the model writes after `prompt` (text, read with the state's codec — words by default; or token ids):
 * autoregressive decoding through a KV cache (Decoder), greedy at temperature 0, else drawn from
 * keyed streams so that the same state, prompt and options give the same tokens on every machine
 * and runtime. When the sequence outgrows the context the window slides: each later token is
 * predicted from the `contextLength` tokens before it (as nanoGPT's sample.py crops), its window
 * recomputed from the start — a slid window's positions all shift, so the cache cannot serve
 * it. Bad options and prompts are UsageErrors naming the flag.
 */
export function sample(state: ModelState, prompt: string | readonly number[], options: SampleOptions = {}): Sample {
  const T = state.model.contextLength;
  const { ids, unknown, options: o } = checkSample(state, prompt, options);
  const task = state.task ?? null;
  const codec = task ? null : codecOf(state);
  const word = task ? task.name : codec ? codec.name : String;
  // a task's tokens are spaced like words, but as the task names them (a number is no punctuation)
  const text = task ? (list: readonly number[]) => list.map(task.name).join(' ') : codec ? codec.decode : (list: readonly number[]) => wordsToText(list.map(String));
  const seq = [...ids];
  // the rule's own continuation of the prompt, which the model's tokens are scored against: not
  // the rule applied to what the model wrote, by which a model repeating one token would be
  // right by its own repeats (induction: after "5 5" the rule says 5)
  const ruled = [...ids];
  const generated: SampledToken[] = [];
  const scores: (TokenScore | null)[] = [];
  const decoder = new Decoder(state, Math.min(T, ids.length + o.tokens), options);
  try {
    for (let i = 0; i < o.tokens; i++) {
      const context = seq.slice(Math.max(0, seq.length - T));
      const row = decoder.next(context);
      const id = o.temperature === 0 ? argmax(row) : draw(row, o.temperature, o.topK, o.topP, keyedStream(o.seed, 'sample/token', i).uniform());
      const p = softmax(row);
      const top = byProbability(p).slice(0, o.alternatives).map((t) => ({ id: t, word: word(t), probability: p[t] }));
      generated.push({ id, word: word(id), probability: p[id], top });
      if (task) {
        const expected = task.next(ruled.slice(Math.max(0, ruled.length - T)));
        scores.push(expected === null ? null : { expected, word: task.name(expected), correct: id === expected, expectedProbability: p[expected] });
        ruled.push(expected ?? id);
      }
      seq.push(id);
    }
  } finally {
    decoder.close();
  }
  return {
    step: state.step,
    prompt: { text: typeof prompt === 'string' ? prompt : text(ids), ids, words: ids.map(word), unknown },
    generated,
    text: text(seq),
    continuation: text(generated.map((g) => g.id)),
    options: { tokens: o.tokens, temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed },
    contextLength: T,
    slid: seq.length - 1 > T,
    ...(task ? { score: scoreOf(task, scores) } : {}),
  };
}

function scoreOf(task: TaskFormat, tokens: (TokenScore | null)[]): SampleScore {
  const scored = tokens.filter((t) => t !== null);
  return { task: task.task, rule: task.rule, scored: scored.length, correct: scored.filter((t) => t.correct).length, tokens };
}
