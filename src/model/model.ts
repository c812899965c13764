import { UsageError } from '../errors.ts';
import type { Dtype, FloatArray, Kernels } from '../kernels/types.ts';
import { GPT, type DropoutMasks } from './gpt.ts';
import type { ModelConfig, ParamTable } from './params.ts';

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
  /** the first activation holding NaN or ±Inf after a forward pass, by name, or null */
  firstNonFiniteActivation(): string | null;
}

type ModelFactory = (cfg: ModelConfig, kernels: Kernels, dtype: Dtype, batchSize: number, contextLength: number) => Model;

/**
 * Architectures by name, as a log header names them (`arch`). A second one (say an MLP for the
 * smallest lessons) is a file implementing Model and a line here; its parameter table names
 * its tensors, and the log, replay, diff and export follow the table.
 */
const ARCHITECTURES: Record<string, ModelFactory> = {
  gpt: (cfg, kernels, dtype, B, T) => new GPT(cfg, kernels, dtype, B, T),
};

/** The architecture every weft so far trains (logs without `arch` in their header are this). */
export const DEFAULT_ARCH = 'gpt';

export function architectures(): string[] {
  return Object.keys(ARCHITECTURES);
}

export function createModel(arch: string, cfg: ModelConfig, kernels: Kernels, dtype: Dtype, batchSize: number, contextLength: number): Model {
  const make = Object.hasOwn(ARCHITECTURES, arch) ? ARCHITECTURES[arch] : undefined;
  if (!make) throw new UsageError(`architecture ${JSON.stringify(arch)} is not one this weft knows (${architectures().join(', ')}); a newer weft may read it`);
  return make(cfg, kernels, dtype, batchSize, contextLength);
}
