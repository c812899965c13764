import type { FloatArray, Kernels } from '../kernels/types.ts';

/** An optimizer's name in the config (`optim.kind`): one of the registered optimizers (optim/registry.ts). */
export type OptimKind = string;

/** The optimizer hyperparameters a config holds; each optimizer reads the ones it uses. */
export interface OptimConfig {
  kind: OptimKind;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentum: number;
}

/**
 * Optimizer state mirrors the parameter buffer: up to two per-parameter buffers, `m` and `v`
 * (the log's two slots; Optimizer.buffers says which an optimizer keeps and what it calls them).
 * Absent buffers are length 0. `t` counts updates taken.
 */
export interface OptimState {
  t: number;
  m: FloatArray;
  v: FloatArray;
}

/**
 * An optimizer, as weft trains, logs, replays and exports it. To add one: a file in src/optim
 * exporting an Optimizer, and a line in optim/registry.ts (README, "Write your own optimizer").
 */
export interface Optimizer {
  /** its `optim.kind` */
  readonly kind: string;
  /** The state it keeps per parameter, by slot, with the name exports give it (`optim.<name>.<tensor>`). */
  readonly buffers: { readonly m?: string; readonly v?: string };
  /**
   * One update of every parameter, in place, elementwise in index order, each value computed in
   * float64 and rounded once when stored (so the result is the same bits on every runtime).
   * `s.t` has already been advanced: it is this update's number, from 1.
   */
  update(o: OptimConfig, lr: number, params: FloatArray, grads: FloatArray, s: OptimState, kernels: Pick<Kernels, 'adamUpdate'>): void;
}
