import { UsageError } from '../errors.ts';
import { architectureOf } from '../model/model.ts';
import { kernelsFor } from '../kernels/registry.ts';
import { splitWords, Tokenizer } from '../data/tokenizer.ts';
import type { LogReader } from '../log/reader.ts';
import { stateAt } from './state.ts';
import { describeData } from '../data/registry.ts';

/** One head's causal attention on a sentence, after a step. */
export interface AttentionGrid {
  step: number;
  /** 0-based, as in code and JSON (people read layer + 1, head + 1) */
  layer: number;
  head: number;
  /** the sentence's words as typed (up to the context length) */
  typed: string[];
  /** the words the model saw: the vocabulary's (unknown words as <unk>) */
  words: string[];
  /** typed words not in the run's vocabulary */
  unknown: string[];
  /** attention[q][k], k ≤ q: the share of word q's attention on word k */
  attention: number[][];
}

/**
 * Replays the log to `step` and runs the model on the sentence (dropout off): where head `head`
 * of layer `layer` (both 0-based) looks. Out-of-range layers and heads are UsageErrors naming
 * the valid range, 1-based as people count.
 */
export function attentionAt(log: LogReader, step: number, layer: number, head: number, sentence: string): AttentionGrid {
  const h = log.header;
  const m = { ...h.config.model, vocabSize: h.vocabSize };
  if (!h.vocab) throw new UsageError(`${log.path}: a run on the ${describeData(h.config.data)} has no words to show`);
  const tok = new Tokenizer(h.vocab);
  const typed = splitWords(sentence).slice(0, m.contextLength);
  const ids = tok.encode(typed.join(' '));
  if (ids.length < 2) throw new UsageError('--sentence: at least two words are needed');
  const words = ids.map((i) => tok.vocab[i]);
  const unknown = [...new Set(typed.filter((_, i) => ids[i] === 0))];
  // the architecture's model and its attention read-out
  const model = architectureOf(m.arch).create(m, kernelsFor(h.numericMode, undefined, 1), h.dtype, 1, ids.length);
  const shape = model.attentionShape;
  if (!shape || !model.attentionWeights) throw new UsageError(`${log.path}: the ${m.arch} architecture has no attention read-out`);
  if (!Number.isInteger(layer) || layer < 0 || layer >= shape.layers) throw new UsageError(`--layer ${layer + 1}: the model has layers 1…${shape.layers}`);
  if (!Number.isInteger(head) || head < 0 || head >= shape.heads) throw new UsageError(`--head ${head + 1}: the model has heads 1…${shape.heads}`);
  const s = stateAt(log, step);
  model.params.set(s.params);
  const inputs = Int32Array.from(ids);
  model.forward(inputs, inputs, null); // targets are irrelevant here: only the attention is read
  const T = ids.length;
  const att = model.attentionWeights(layer, head);
  return { step, layer, head, typed, words, unknown, attention: words.map((_, q) => Array.from(att.subarray(q * T, q * T + q + 1))) };
}
