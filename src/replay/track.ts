import { LogCorruptError, UsageError } from '../errors.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { Prober, probeIndex } from '../engine/probe.ts';
import { PROBE_DEFAULTS } from '../config/config.ts';
import type { LogReader } from '../log/reader.ts';
import { viewAs } from '../log/format.ts';
import { stateAt } from './state.ts';
import { StateWalker } from './walk.ts';
import { describeData } from '../data/registry.ts';

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

/** The threshold a link is said to have formed at. */
export const LINK_FORMED = 0.5;

/** `they->scientists` → ['they', 'scientists'], lower case. */
export function parseLink(link: string): [string, string] {
  const m = /^\s*([^\s>-]+)\s*->\s*([^\s>-]+)\s*$/.exec(link);
  if (!m) throw new UsageError(`--track ${JSON.stringify(link)}: expected word->word, e.g. "they->scientists"`);
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
  if (!h.vocab) throw new UsageError(`${log.path}: a run on the ${describeData(h.config.data)} has no words to track`);
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
    const every = opts.every ?? Math.max(1, Math.round((log.lastStep - h.startStep) / 20));
    const wanted = new Set<number>([h.startStep, log.lastStep]);
    for (let s = h.startStep; s <= log.lastStep; s += every) wanted.add(s);
    const prober = new Prober(m, h.dtype, h.numericMode, h.vocab, [sentence]);
    const order = [...wanted].sort((a, b) => a - b);
    if (h.mode === 'summary') for (const s of order) values.push(prober.attention(stateAt(log, s).params)[0]);
    else {
      // one walk forwards through the log, not a replay from a keyframe for each step
      const w = new StateWalker(log);
      for (const s of order) {
        while (w.step < s) w.advance(log.readStep(w.step + 1));
        values.push(prober.attention(w.params!)[0]);
      }
    }
    steps.push(...order);
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
