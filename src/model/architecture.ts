import type { Dtype, FloatArray, Kernels } from '../kernels/types.ts';
import type { ParamTable } from '../layout/table.ts';
import type { ModelConfig } from './params.ts';

/** Dropout keep-masks for one step, one byte per element (1 = kept), by site name. */
export type DropoutMasks = ReadonlyMap<string, Uint8Array>;

/**
 * A trainable model as the trainer, the recorder and replay see it: one flat parameter buffer
 * laid out by its table (PyTorch names), a gradient buffer of the same layout, a forward pass
 * returning the mean loss and a backward pass filling the gradient. The kernels own the buffers.
 */
export interface Model {
  readonly cfg: ModelConfig;
  readonly table: ParamTable;
  readonly kernels: Kernels;
  readonly params: FloatArray;
  readonly grads: FloatArray;
  forward(inputs: Int32Array, targets: Int32Array, masks: DropoutMasks | null): number;
  backward(): void;
  /** the logits of the last forward pass, (B·T, V) row-major: what a task's metrics read */
  readonly lastLogits: FloatArray;
  /** the first activation holding NaN or ±Inf after a forward pass, by name, or null */
  firstNonFiniteActivation(): string | null;
  /**
   * The attention read-out, for an architecture with attention: after a forward pass, sequence
   * b's weights of a layer's head, T × T row-major (query q's weights on keys 0…q).
   */
  attentionWeights?(layer: number, head: number, b?: number): Float64Array;
  /** layers and heads the attention read-out has */
  readonly attentionShape?: { layers: number; heads: number };
  /**
   * Decoding one token at a time with a KV cache, for an architecture that has it (without it,
   * decoding recomputes the prefix each time): positions 0…maxLength−1 (at most the context),
   * the model's parameters read as they are at each call, dropout off.
   */
  decoder?(maxLength: number): IncrementalDecoder;
}

/**
 * A model run one position at a time, holding each layer's keys and values of the positions so
 * far (a KV cache): `append` computes the new position's row only, with the same kernels and
 * each output's reduction in the same order as the full forward pass, so its logits are the full
 * pass's row for that position, bit for bit (DESIGN rule 8). The cache holds positions from 0
 * on: a sequence that outgrows it cannot slide in it (every cached key and value belongs to its
 * position), so decoding past the context recomputes its window from the start.
 */
export interface IncrementalDecoder {
  /** positions held: the next token's position */
  readonly length: number;
  /** positions it can hold */
  readonly maxLength: number;
  /** Runs `token` at position `length`; the logits after it (V), a view valid until the next call. */
  append(token: number): FloatArray;
  /** Forgets every position: the next token is at position 0. */
  reset(): void;
}

/**
 * An architecture, as a log header names it (`arch`, the config's `model.arch`): it owns its
 * shape. It declares its parameter table, its dropout sites and their mask sizes — the header
 * stores what it declared, and the recorder, replay, diff, goldens and the viewer read them from
 * there — and builds its model. A second architecture is one file declaring one of these and
 * one line in ARCHITECTURES below.
 */
export interface Architecture {
  readonly name: string;
  /** the parameter table: names, shapes and places in one flat buffer (layer groups 0 = emb … L+1 = head) */
  table(cfg: ModelConfig): ParamTable;
  /** the dropout sites, in forward order */
  dropoutSites(cfg: ModelConfig): string[];
  /** elements of each site's keep-mask for a batch of `batchSize` sequences of `contextLength` tokens */
  maskElements(cfg: ModelConfig, batchSize: number, contextLength: number): number;
  create(cfg: ModelConfig, kernels: Kernels, dtype: Dtype, batchSize: number, contextLength: number): Model;
  /** refuses a model config this architecture has no meaning for: throws a ConfigError naming the key */
  check?(cfg: ModelConfig): void;
}

