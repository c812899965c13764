import { LogCorruptError, UsageError } from '../errors.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { Prober, probeIndex } from '../engine/probe.ts';
import { PROBE_DEFAULTS } from '../config/config.ts';
import type { LogReader } from '../log/reader.ts';
import { viewAs } from '../log/format.ts';
import { stateAt } from './state.ts';
import { StateWalker } from './walk.ts';
import { describeData } from '../data/registry.ts';
import { Dataset } from '../data/dataset.ts';

/** Attention from one word to another, per head, through training. */
export interface LinkTrack {
  /** "they->scientists" */
  link: string;
  sentence: string;
  words: string[];
  /** positions of the query word and of the word it should look at (0-based) */
  q: number;
  k: number;
  /** where the numbers come from: the log's probe records, or states replayed at these steps */
  source: 'probes' | 'replay';
  steps: number[];
  /** every head, 0-based layer and head, in layer-then-head order */
  heads: { layer: number; head: number; series: number[]; final: number; firstAbove: number | null }[];
  /** the head with the strongest link at the last step */
  strongest: { layer: number; head: number; final: number; firstAbove: number | null };
}

/** The named patterns, as --track takes them (HEAD_PATTERNS below). */
const HEAD_PATTERNS_LIST = 'induction, previous-token';

/** The threshold a link is said to have formed at. */
export const LINK_FORMED = 0.5;

/** `they->scientists` → ['they', 'scientists'], lower case. */
export function parseLink(link: string): [string, string] {
  const m = /^\s*([^\s>-]+)\s*->\s*([^\s>-]+)\s*$/.exec(link);
  if (!m) throw new UsageError(`--track ${JSON.stringify(link)}: expected word->word, e.g. "they->scientists", or a pattern: ${HEAD_PATTERNS_LIST}`);
  return [m[1].toLowerCase(), m[2].toLowerCase()];
}

/** Where in `words` the link is: the query word's last place, and the last place of its target before it. */
export function linkPositions(words: readonly string[], [from, to]: [string, string]): { q: number; k: number } | null {
  const q = words.lastIndexOf(from);
  const k = q > 0 ? words.lastIndexOf(to, q - 1) : -1;
  return q >= 0 && k >= 0 ? { q, k } : null;
}

/**
 * How strongly every head ties the link's first word to its second, step by step: from the log's
 * probe records when it has them (the first probe sentence holding both words), else by
 * replaying the log to `steps` and running the model on the sentence (`sentence`, or the first of
 * the story's probe sentences holding both words).
 */
export function trackLink(log: LogReader, link: string, opts: { sentence?: string; every?: number } = {}): LinkTrack {
  const h = log.header;
  if (!h.vocab) throw new UsageError(`${log.path}: a run on the ${describeData(h.config.data)} has no words to track; a named pattern (${HEAD_PATTERNS_LIST}) tracks any run`);
  const words2 = parseLink(link);
  const tok = new Tokenizer(h.vocab);
  for (const w of words2) if (!h.vocab.includes(w)) throw new UsageError(`--track ${link}: "${w}" is not in the run's vocabulary`);
  const m = { ...h.config.model, vocabSize: h.vocabSize };
  const wordsOf = (s: string) => tok.encode(s).slice(0, m.contextLength).map((i) => tok.vocab[i]);
  const probeSentences = h.config.probe?.sentences ?? [];
  const fromProbes = opts.sentence === undefined && log.probeFrames.length > 0 ? probeSentences.findIndex((s) => linkPositions(wordsOf(s), words2)) : -1;
  const candidates = opts.sentence !== undefined ? [opts.sentence] : [...probeSentences, ...PROBE_DEFAULTS.sentences];
  const sentence = fromProbes >= 0 ? probeSentences[fromProbes] : candidates.find((s) => linkPositions(wordsOf(s), words2));
  if (sentence === undefined) throw new UsageError(`--track ${link}: no sentence holds "${words2[0]}" after "${words2[1]}"; give one with --sentence`);
  const words = wordsOf(sentence);
  const at = linkPositions(words, words2);
  if (!at) throw new UsageError(`--sentence: "${words2[0]}" does not follow "${words2[1]}" in it`);
  const T = words.length;
  const L = m.nLayers;
  const H = m.nHeads;
  const steps: number[] = [];
  const values: Float64Array[] = []; // per step: the probe layout of the sentence
  if (fromProbes >= 0) {
    const want = (L * H * T * (T + 1)) / 2;
    for (const r of log.readProbes()) {
      const a = r.attention[fromProbes];
      if (!a || a.length !== want * 8) throw new LogCorruptError(log.path, log.probeFrames[steps.length].offset, null, `probe at step ${r.step}: sentence ${fromProbes + 1} holds ${a ? a.length : 0} bytes of attention, ${want * 8} expected`);
      steps.push(r.step);
      values.push(viewAs(a, Float64Array));
    }
  } else {
    const replayed = attentionThroughTraining(log, new Prober(m, h.dtype, h.numericMode, h.vocab, [sentence]), opts.every ?? Math.max(1, Math.round((log.lastStep - h.startStep) / 20)));
    steps.push(...replayed.steps);
    values.push(...replayed.values.map((v) => v[0]));
  }
  const heads = [];
  for (let l = 0; l < L; l++) {
    for (let hd = 0; hd < H; hd++) {
      const i = probeIndex(T, H, l, hd, at.q, at.k);
      const series = values.map((v) => v[i]);
      const above = series.findIndex((x) => x > LINK_FORMED);
      heads.push({ layer: l, head: hd, series, final: series[series.length - 1], firstAbove: above >= 0 ? steps[above] : null });
    }
  }
  const best = heads.reduce((a, b) => (b.final > a.final ? b : a));
  return { link: `${words2[0]}->${words2[1]}`, sentence, words, q: at.q, k: at.k, source: fromProbes >= 0 ? 'probes' : 'replay', steps, heads, strongest: { layer: best.layer, head: best.head, final: best.final, firstAbove: best.firstAbove } };
}

/**
 * The prober's attention (each sequence in probeIndex's layout) at the start step, every `every`
 * steps and the last, replayed: one walk forwards through the log, not a replay from a keyframe
 * for each step (a summary log, which has no deltas to walk, re-executes to each).
 */
function attentionThroughTraining(log: LogReader, prober: Prober, every: number): { steps: number[]; values: Float64Array[][] } {
  const h = log.header;
  const wanted = new Set<number>([h.startStep, log.lastStep]);
  for (let s = h.startStep; s <= log.lastStep; s += every) wanted.add(s);
  const steps = [...wanted].sort((a, b) => a - b);
  const values: Float64Array[][] = [];
  if (h.mode === 'summary') for (const s of steps) values.push(prober.attention(stateAt(log, s).params));
  else {
    const w = new StateWalker(log);
    for (const s of steps) {
      while (w.step < s) w.advance(log.readStep(w.step + 1));
      values.push(prober.attention(w.params!));
    }
  }
  return { steps, values };
}

/** The named patterns a head is scored by (`--track previous-token`, `--track induction`). */
export const HEAD_PATTERNS = ['previous-token', 'induction'] as const;
export type HeadPattern = (typeof HEAD_PATTERNS)[number];

export const isHeadPattern = (s: string): s is HeadPattern => (HEAD_PATTERNS as readonly string[]).includes(s);

/**
 * The (query, key) pairs a pattern looks for in a token sequence: previous-token, every q ≥ 1 to
 * q − 1; induction, every q whose token occurred before — at j, its last earlier place — to
 * j + 1, the token that followed it then (Olsson et al.'s prefix matching; q with j + 1 = q, a
 * token repeated at once, is left out: there the pattern is the previous-token one's).
 */
export function patternPairs(pattern: HeadPattern, ids: ArrayLike<number>): { q: number; k: number }[] {
  const out: { q: number; k: number }[] = [];
  for (let q = 1; q < ids.length; q++) {
    if (pattern === 'previous-token') out.push({ q, k: q - 1 });
    else {
      let j = q - 1;
      while (j >= 0 && ids[j] !== ids[q]) j--;
      if (j >= 0 && j + 1 < q) out.push({ q, k: j + 1 });
    }
  }
  return out;
}

/**
 * A head's score for a pattern on one sequence: the mean share of attention its queries give the
 * key the pattern names (patternPairs), in [0, 1] — 1 when every such query attends there only.
 * NaN when the sequence has no such query. `attention`: the sequence's probeIndex layout.
 */
export function patternScore(pattern: HeadPattern, ids: ArrayLike<number>, attention: ArrayLike<number>, nHeads: number, layer: number, head: number): number {
  const pairs = patternPairs(pattern, ids);
  let sum = 0;
  for (const { q, k } of pairs) sum += attention[probeIndex(ids.length, nHeads, layer, head, q, k)];
  return pairs.length ? sum / pairs.length : NaN;
}

/** Sequences of a run's own data a pattern is scored on. */
export const PATTERN_SEQUENCES = 8;

/** Every head's score for a named pattern, step by step. */
export interface PatternTrack {
  pattern: HeadPattern;
  /** the sequences scored (token ids): the first of the held-out split, else of the training split */
  sequences: number[][];
  source: 'replay';
  steps: number[];
  heads: { layer: number; head: number; series: number[]; final: number; firstAbove: number | null }[];
  /** the head whose score is highest at the last step */
  strongest: { layer: number; head: number; final: number; firstAbove: number | null };
}

/**
 * The run's own sequences (PATTERN_SEQUENCES of them, in split order, held-out first) that
 * hold the pattern at least once, as their inputs: what a head's pattern score reads.
 */
function ownSequences(log: LogReader, pattern: HeadPattern): Int32Array[] {
  const h = log.header;
  const T = h.config.model.contextLength;
  const data = new Dataset(h.config.data, h.config.model.vocabSize, T, h.config.seed);
  const order = [...data.split.heldOut, ...data.split.train];
  const out: Int32Array[] = [];
  const inputs = new Int32Array(T);
  const targets = new Int32Array(T);
  for (let i = 0; i < order.length && out.length < PATTERN_SEQUENCES && i < 64 * PATTERN_SEQUENCES; i++) {
    data.task.write(order[i], inputs, targets);
    if (patternPairs(pattern, inputs).length) out.push(inputs.slice());
  }
  if (!out.length) throw new UsageError(`--track ${pattern}: none of the first ${Math.min(order.length, 64 * PATTERN_SEQUENCES)} sequences of the ${describeData(h.config.data)} holds the pattern (a token seen before, not just before)`);
  return out;
}

/**
 * How strongly every head follows a named pattern through training: its score (patternScore),
 * averaged over the run's own sequences, at the start step, every `every` steps (default: about
 * 100 points) and the last, by replaying the log. A score passing 0.5 is the pattern formed.
 */
export function trackPattern(log: LogReader, pattern: HeadPattern, opts: { every?: number } = {}): PatternTrack {
  const h = log.header;
  const m = { ...h.config.model, vocabSize: h.vocabSize };
  const sequences = ownSequences(log, pattern);
  const prober = new Prober(m, h.dtype, h.numericMode, h.vocab, sequences.map((_, i) => `sequence ${i + 1}`), sequences);
  const { steps, values } = attentionThroughTraining(log, prober, opts.every ?? Math.max(1, Math.round((log.lastStep - h.startStep) / 100)));
  const heads = [];
  for (let l = 0; l < prober.nLayers; l++) {
    for (let hd = 0; hd < prober.nHeads; hd++) {
      const series = values.map((perSequence) => {
        let sum = 0;
        perSequence.forEach((a, s) => (sum += patternScore(pattern, prober.ids[s], a, prober.nHeads, l, hd)));
        return sum / perSequence.length;
      });
      const above = series.findIndex((x) => x > LINK_FORMED);
      heads.push({ layer: l, head: hd, series, final: series[series.length - 1], firstAbove: above >= 0 ? steps[above] : null });
    }
  }
  const best = heads.reduce((a, b) => (b.final > a.final ? b : a));
  return { pattern, sequences: prober.ids.map((s) => [...s]), source: 'replay', steps, heads, strongest: { layer: best.layer, head: best.head, final: best.final, firstAbove: best.firstAbove } };
}
