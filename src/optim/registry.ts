import { ConfigError } from '../errors.ts';
import { referenceKernels } from '../kernels/reference.ts';
import { allocFloat, type Dtype, type FloatArray, type Kernels } from '../kernels/types.ts';
import { adam, adamw } from './adam.ts';
import { lion } from './lion.ts';
import type { OptimConfig, Optimizer, OptimKind, OptimState } from './optimizer.ts';
import { momentum, sgd } from './sgd.ts';

const registered = new Map<string, Optimizer>();

/** Makes an optimizer known to the config, the trainer, replay and export. */
export function registerOptimizer(o: Optimizer): void {
  if (registered.has(o.kind)) throw new Error(`optimizer ${o.kind} is registered twice`);
  registered.set(o.kind, o);
}

export function optimizerKinds(): string[] {
  return [...registered.keys()];
}

export function optimizerOf(kind: OptimKind): Optimizer {
  const o = registered.get(kind);
  if (!o) throw new ConfigError('optim.kind', `${JSON.stringify(kind)} is not an optimizer this weft knows (${optimizerKinds().join(', ')})`);
  return o;
}

export function optimBuffers(kind: OptimKind): { m: boolean; v: boolean } {
  const b = optimizerOf(kind).buffers;
  return { m: b.m !== undefined, v: b.v !== undefined };
}

/** Zeroed state; `alloc` places it (a kernel set's, so that its optimizer kernel works in place). */
export function createOptimState(kind: OptimKind, dtype: Dtype, n: number, alloc: (dtype: Dtype, n: number) => FloatArray = allocFloat): OptimState {
  const b = optimBuffers(kind);
  return { t: 0, m: alloc(dtype, b.m ? n : 0), v: alloc(dtype, b.v ? n : 0) };
}

/** One optimizer step: the update count advanced, then the configured optimizer's update. */
export function optimizerStep(o: OptimConfig, lr: number, params: FloatArray, grads: FloatArray, s: OptimState, kernels: Pick<Kernels, 'adamUpdate'> = referenceKernels): void {
  const opt = optimizerOf(o.kind);
  s.t += 1;
  opt.update(o, lr, params, grads, s, kernels);
}

// weft's optimizers, in the order `optim.kind` lists them. A new one: its file, and a line here.
for (const o of [sgd, momentum, adam, adamw, lion]) registerOptimizer(o);
