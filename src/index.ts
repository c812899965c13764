// weft's public API. The CLI (src/cli) is a thin layer over it.
export { defineScenario, type Scenario, type ScenarioSpec } from './engine/scenario.ts';
export { DEFAULT_CONFIG, FABRIC, TINY, CONFIG_SCHEMA, applySets, configKeys, mergeConfig, validateConfig, type WeftConfig, type RecordMode } from './engine/config.ts';
export { ConfigError, UsageError } from './engine/errors.ts';
export { Trainer, type StepRecord, type Anomaly } from './engine/trainer.ts';
export { runTraining, type RunObserver, type RunResult } from './engine/run.ts';
export { SummaryObserver, type RunSummary } from './engine/summary.ts';
export { dropoutMasks, packBits, unpackBits } from './engine/masks.ts';
export { hashBytes } from './engine/hash.ts';
export { keyedStream, KeyedStream } from './rng/keyed.ts';
export { GPT } from './model/gpt.ts';
export { buildParamTable, dropoutSites, layerName, type ModelConfig, type ParamInfo, type ParamTable } from './model/params.ts';
export { referenceKernels } from './kernels/reference.ts';
export type { Kernels, FloatArray, Dtype } from './kernels/types.ts';
export { Tokenizer } from './data/tokenizer.ts';
export { runIfMain } from './cli/main.ts';
