// weft's parts underneath the public API, for scripts, benchmarks and tools that need them
// (`import … from 'weft/internals'`). They follow the code, not a promise: a release may change
// any of them without notice. What a user of weft needs is in src/index.ts.
export { CONFIG_SCHEMA } from './config/config.ts';
export { CodecError, RansError } from './errors.ts';
export { main } from './cli/main.ts';
export { dropoutMasks, packBits, unpackBits } from './rng/masks.ts';
export { keyedStream, KeyedStream } from './rng/keyed.ts';
export { hashBytes } from './engine/hash.ts';
export { GPT, buildParamTable } from './model/gpt.ts';
export { type ModelConfig } from './model/params.ts';
export { optimizerOf } from './optim/registry.ts';
export { referenceKernels } from './kernels/reference.ts';
export { kernelsFor, numericModes, useKernels, useThreads, KERNEL_IMPLEMENTATIONS, DEFAULT_NUMERIC_MODE, type KernelImplementation } from './kernels/registry.ts';
export type { Kernels, FloatArray, Dtype } from './kernels/types.ts';
export { Tokenizer } from './data/tokenizer.ts';
export { Dataset, type Batch, type SplitName } from './data/dataset.ts';
export { registerTask, taskKindOf, describeData } from './data/registry.ts';
export { correctAnswers, type EvaluatedModel } from './data/metrics.ts';
export { stepMasks } from './log/steps.ts';
export { encodeFloats, decodeFloats } from './log/codec.ts';
export { planSweep, shardOf } from './sweep/plan.ts';
export { SWEEP_MANIFEST_SCHEMA } from './sweep/manifest.ts';
