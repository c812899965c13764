// weft's public API. The CLI (src/cli) is a thin layer over it.
export { defineScenario, type Scenario, type ScenarioSpec, type Expectation, type ScenarioRun } from './engine/scenario.ts';
export { DEFAULT_CONFIG, FABRIC, TINY, CONFIG_SCHEMA, applySets, configKeys, mergeConfig, validateConfig, type WeftConfig, type RecordMode } from './config/config.ts';
export { EXIT, WeftError, ConfigError, UsageError, LogCorruptError, LogFormatError, CodecError, RansError, GoldenFileError } from './errors.ts';
export { Trainer, type StepRecord, type Anomaly, type TrainingState } from './engine/trainer.ts';
export { runTraining, runTrainingAsync, type RunObserver, type RunResult } from './engine/run.ts';
export { SummaryObserver, type RunSummary } from './engine/summary.ts';
export { dropoutMasks, packBits, unpackBits } from './rng/masks.ts';
export { hashBytes } from './engine/hash.ts';
export { keyedStream, KeyedStream } from './rng/keyed.ts';
export { GPT } from './model/gpt.ts';
export { type ModelConfig } from './model/params.ts';
export { architectureOf, architectures, type Architecture, type Model } from './model/model.ts';
export { buildParamTable } from './model/gpt.ts';
export { layerName, type ParamInfo, type ParamTable } from './layout/table.ts';
export { referenceKernels } from './kernels/reference.ts';
export { optimizerKinds, optimizerOf } from './optim/registry.ts';
export type { Optimizer, OptimConfig, OptimState } from './optim/optimizer.ts';
export { kernelsFor, numericModes, useKernels, useThreads, KERNEL_IMPLEMENTATIONS, DEFAULT_NUMERIC_MODE, type KernelImplementation } from './kernels/registry.ts';
export type { Kernels, FloatArray, Dtype } from './kernels/types.ts';
export { Tokenizer } from './data/tokenizer.ts';
export { registerTask, taskKinds, taskKindOf, describeData } from './data/registry.ts';
export type { Task, TaskKind, TaskModel, DataConfig } from './data/task.ts';
export { Dataset, type Batch, type SplitName } from './data/dataset.ts';
export { evaluate, correctAnswers, type SplitMetrics, type EvaluatedModel } from './data/metrics.ts';
export { IGNORED_TARGET } from './kernels/types.ts';
export { runIfMain, main } from './cli/main.ts';
// the flight recorder
export { openLog, LogReader, type FrameRef } from './log/reader.ts';
export { Recorder } from './engine/recorder.ts';
export { stepMasks, type StepView } from './log/steps.ts';
export type { HeaderRecord, StepRecordBody, KeyframeRecord, AnomalyRecord, EndRecord } from './log/records.ts';
export { encodeFloats, decodeFloats } from './log/codec.ts';
// replay, verify, fork, export
export { stateAt, type ReplayState } from './replay/state.ts';
export { verifyLog, type VerifyResult, type Mismatch } from './replay/verify.ts';
export { startFork, startResume } from './replay/fork.ts';
export { encodeSafetensors } from './replay/safetensors.ts';
// diff and reports
export { diff, type DiffResult, type Divergence } from './diff/diff.ts';
export { DIFF_JSON_SCHEMA } from './diff/schema.ts';
export { runReportHtml, diffReportHtml } from './report/html.ts';
// goldens
export { checkGolden, updateGolden, type GoldenCheck } from './golden/check.ts';
export { compareGolden, formatReport, type GoldenReport } from './golden/compare.ts';
export { captureGolden, type GoldenFile, type Tolerance } from './golden/capture.ts';
// sweeps
export { sweep, sweepPlan } from './sweep/sweep.ts';
export { planSweep, shardOf, type SweepSpec, type SweepPlan, type PlannedRun } from './sweep/plan.ts';
export { runSweep, type RunSweepOptions, type SweepProgress } from './sweep/execute.ts';
export { readManifest, SWEEP_MANIFEST_SCHEMA, type SweepManifest, type ManifestRun } from './sweep/manifest.ts';
export { mergeSweeps } from './sweep/merge.ts';
export { sweepReportData, sweepReportHtml, type SweepReportData } from './sweep/report.ts';
export { WEFT_VERSION } from './version.ts';
