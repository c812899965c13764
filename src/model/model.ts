import { UsageError } from '../errors.ts';
import type { Dtype, Kernels } from '../kernels/types.ts';
import type { Architecture, Model } from './architecture.ts';
import { gpt } from './gpt.ts';
import { gptRms } from './gpt-rms.ts';
import type { ModelConfig } from './params.ts';

export type { Architecture, Model } from './architecture.ts';

/** Architectures by name. */
const ARCHITECTURES: Record<string, Architecture> = Object.fromEntries([gpt, gptRms].map((a) => [a.name, a]));

/** The architecture every weft so far trains (logs and configs without `arch` are this). */
export const DEFAULT_ARCH = 'gpt';

export function architectures(): string[] {
  return Object.keys(ARCHITECTURES);
}

/** An architecture by name; an unknown one is one line naming the registered ones (exit 2). */
export function architectureOf(name: string): Architecture {
  const a = Object.hasOwn(ARCHITECTURES, name) ? ARCHITECTURES[name] : undefined;
  if (!a) throw new UsageError(`architecture ${JSON.stringify(name)} is not one this weft knows (${architectures().join(', ')}); a newer weft may read it`);
  return a;
}

export function createModel(arch: string, cfg: ModelConfig, kernels: Kernels, dtype: Dtype, batchSize: number, contextLength: number): Model {
  return architectureOf(arch).create(cfg, kernels, dtype, batchSize, contextLength);
}
