import type { WeftConfig, RecordMode } from '../config/config.ts';
import { paramTableOf, type ParamInfo, type ParamTable } from '../layout/table.ts';
import type { StepRecordBody } from './fields.ts';

export type { StepRecordBody };

/**
 * Record bodies as stored (msgpack maps). Float scalars that must stay bit-exact (−0 included,
 * which msgpack integers would lose) are 8-byte little-endian float64 bins; float arrays are
 * codec blocks (codec.ts); token ids are little-endian int32 bins.
 */
export interface HeaderRecord {
  kind: 'header';
  format: number;
  weft: string;
  scenario: string;
  config: WeftConfig;
  seed: number;
  dtype: 'float32' | 'float64';
  numericMode: string;
  /** the model's architecture (model/model.ts); absent in logs written before it was recorded: gpt */
  arch?: string;
  mode: RecordMode;
  keyframeEvery: number;
  vocabSize: number;
  vocab: string[] | null;
  params: ParamInfo[];
  dropoutSites: string[];
  maskElements: number;
  optimBuffers: { m: boolean; v: boolean };
  /** Set when this log was forked or resumed from another: that log's hash and the step. */
  parent: { hash: string; step: number } | null;
  /** The first step this log records (0 for a fresh run, N for a fork or resume at N). */
  startStep: number;
  /** the data's identity when it is a user's files (data.kind text, tokens): absent otherwise */
  data?: HeaderData;
}

/**
 * A run's data as a header names it when it is a user's files (the data kinds' DataSource, which
 * the log does not import): the files by content (path as given, bytes, SHA-256), the tokenizer,
 * and the token names (index = id) when they are not the header's word vocabulary.
 */
export interface HeaderData {
  tokenizer: 'char' | 'word' | 'bpe' | 'uint16';
  files: { key: 'data.path' | 'data.heldOutPath' | 'data.vocabPath'; path: string; bytes: number; sha256: string }[];
  vocab: string[] | null;
}

export interface KeyframeRecord {
  kind: 'keyframe';
  step: number;
  optimT: number;
  params: Uint8Array;
  m: Uint8Array;
  v: Uint8Array;
  stateHash: string;
}

export interface AnomalyRecord {
  kind: 'anomaly';
  step: number;
  stage: 'loss' | 'grad' | 'param';
  tensor: string | null;
  index: number | null;
}

export interface EndRecord {
  kind: 'end';
  reason: 'completed' | 'non-finite' | 'interrupted';
  steps: number;
  stateHash: string;
}

/**
 * Attention probes after a step (format 2; config.probe): for each probe sentence its token ids
 * (little-endian int32) and the attention of every layer and head on it, dropout off, as
 * little-endian float64 — per layer, per head, per query word q, its weights on words 0…q.
 */
export interface ProbeRecord {
  kind: 'probe';
  step: number;
  ids: Uint8Array[];
  attention: Uint8Array[];
  /** per prompt of `config.probe.prompts` (absent without prompts): what the model writes after it */
  completions?: CompletionRecord[];
}

/**
 * A completion probe (engine/completion.ts): the prompt's token ids, its greedy continuation
 * (i32 little-endian), the likeliest next tokens after the prompt (i32) and their probabilities
 * (f64 little-endian), likeliest first.
 */
export interface CompletionRecord {
  ids: Uint8Array;
  tokens: Uint8Array;
  top: Uint8Array;
  probabilities: Uint8Array;
}

/**
 * Held-out evaluation after a step (format 3; config.eval), as stored: each split's figures, the
 * loss and accuracy as one float64 in an 8-byte bin (NaN and ±Inf survive). log/evals.ts reads
 * and writes them as numbers.
 */
export interface EvalRecord {
  kind: 'eval';
  step: number;
  heldOut: StoredSplitFigures;
  train: StoredSplitFigures;
}

export interface StoredSplitFigures {
  examples: number;
  counted: number;
  loss: Uint8Array;
  accuracy: Uint8Array | null;
}

export interface IndexRecord {
  kind: 'index';
  /** float64 byte offsets of every frame before the index. */
  offsets: Uint8Array;
  /** kind code per frame (KIND_CODES). */
  kinds: Uint8Array;
  /** float64 step per frame (−1 for header and end). */
  steps: Uint8Array;
}

export type LogRecord = HeaderRecord | KeyframeRecord | StepRecordBody | AnomalyRecord | EndRecord | IndexRecord | ProbeRecord | EvalRecord;
export type RecordKind = LogRecord['kind'];
export const KIND_CODES: Record<RecordKind, number> = { header: 0, keyframe: 1, step: 2, anomaly: 3, end: 4, index: 5, probe: 6, eval: 7 };

const tables = new WeakMap<HeaderRecord, ParamTable>();

/** A log's parameter table, from its header (built once per header). */
export function paramTable(h: HeaderRecord): ParamTable {
  let t = tables.get(h);
  if (!t) tables.set(h, (t = paramTableOf(h.params)));
  return t;
}
