/**
 * What the viewer's server sends its page (JSON; non-finite numbers as the strings "NaN",
 * "Infinity", "-Infinity"). Types only: the page's bundle imports them too.
 */
import type { EvalSeries, RunSeries } from '../report/charts.ts';
import type { AttentionGrid } from '../replay/attention.ts';
import type { LinkTrack, PatternTrack } from '../replay/track.ts';
import type { CompletionTrack } from '../replay/completions.ts';

export type JsonNumber = number | string;

/** Why a log is shown with a banner: what went wrong, where, and what is still readable. */
export interface Problem {
  /** unreadable: nothing could be read; corrupt: a damaged record; torn: the run was killed mid-record; open: no end record */
  kind: 'unreadable' | 'corrupt' | 'torn' | 'open';
  message: string;
  /** the byte offset it names, when it names one */
  offset: number | null;
  /** what can still be shown, in words */
  readable: string;
}

export interface RunInfo {
  id: number;
  /** the file's name, as named on the command line */
  name: string;
  description: string;
  problem: Problem | null;
  /** null when the log cannot be opened */
  meta: {
    scenario: string;
    mode: string;
    firstStep: number;
    lastStep: number;
    /** the initial state's step (0 unless the log continues another) */
    startStep: number;
    nLayers: number;
    nHeads: number;
    /** the run's corpus has words (attention can be shown) */
    hasWords: boolean;
    /** the story's sentence when the run has words */
    defaultSentence: string | null;
    clipMaxNorm: number;
  } | null;
}

export interface Overview {
  id: number;
  series: RunSeries;
  anomalies: { step: number; stage: string; tensor: string | null; index: number | null }[];
  keyframes: number[];
  problem: Problem | null;
  /** the held-out evaluations of the readable steps; absent without config.eval */
  evaluations?: EvalSeries;
}

export interface LayerMetric {
  id: 'gradNorm' | 'updateRatio' | 'mNorm' | 'vNorm' | 'stepSize';
  title: string;
  /** values[layer][i] for steps[i]; null when the log cannot give it (and `why`) */
  values: JsonNumber[][] | null;
  why: string | null;
}

export interface LayerMetrics {
  id: number;
  steps: number[];
  layerNames: string[];
  metrics: LayerMetric[];
  problem: Problem | null;
}

export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
  /** NaN and ±Inf elements, not binned */
  nonFinite: number;
}

export type Quantity = 'w' | 'g' | 'dw' | 'm' | 'v';

export interface TensorDetail {
  name: string;
  shape: number[];
  layer: string;
  /** the gradient's L2 norm before clipping, as the log records it (weft inspect --step N --json) */
  gradNormRecorded: JsonNumber | null;
  /** L2 norms of the arrays after the step (null: the state or optimizer has no such array) */
  norms: Record<Quantity, JsonNumber | null>;
  hist: Record<Quantity, Histogram | null>;
}

export interface StepDetail {
  id: number;
  step: number;
  loss: JsonNumber | null;
  lr: JsonNumber | null;
  clipFactor: JsonNumber | null;
  gradNormGlobal: JsonNumber | null;
  /** names of the optimizer's buffers in slots m and v (Adam: m, v; Lion: momentum; SGD: none) */
  buffers: { m: string | null; v: string | null };
  tensors: TensorDetail[];
  /** share of activations kept per dropout site; null without dropout */
  dropout: { site: string; keepRate: number }[] | null;
  /** the batch's first row as words (runs on a word corpus) */
  batchWords: string | null;
  /** the state hash the log records for the step (the re-executed step matched it) */
  stateHash: string;
  /** milliseconds the server spent (replay and re-execution) */
  elapsedMs: number;
}

export interface Divergence {
  a: number;
  b: number;
  identical: boolean;
  /** null when identical or they differ in length only */
  first: { step: number; stream: string; where: string; a: string; b: string; causes: string[] } | null;
  config: { key: string; a: unknown; b: unknown }[];
  summary: string;
}

/** A head's attention on a sentence (layer and head 0-based: the page shows layer + 1, head + 1). */
export interface AttentionView extends AttentionGrid {
  id: number;
}

/** A run's tracked links (config.probe.links), from its probe records; none without probes. */
export interface TracksView {
  id: number;
  links: LinkTrack[];
  /** links that could not be followed, and why */
  problems: string[];
}

/**
 * A run's heads scored by the named patterns through training (replay/track.ts), for a task
 * whose lesson they are (the induction task); none for other runs.
 */
export interface PatternsView {
  id: number;
  patterns: PatternTrack[];
  /** patterns that could not be scored, and why */
  problems: string[];
}

/** A run's completion probes (config.probe.prompts), per prompt through training; none without them. */
export interface CompletionsView {
  id: number;
  prompts: CompletionTrack[];
}

export interface ApiError {
  error: string;
  problem?: Problem;
}
