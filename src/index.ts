// weft's public API: what a scenario, a project's tests or a script need to define, train, record,
// replay, verify, diff, check and sweep runs. The CLI (src/cli) is a thin layer over it. README
// "The API" documents every name here (tests/api/surface.test.ts holds the two to each other);
// the parts underneath — codecs, random streams, kernels, the model's classes — are reachable as
// `weft/internals` (src/internals.ts), with no promise that they keep their shape.
// scenarios
export { defineScenario, type Scenario, type ScenarioSpec, type Expectation, type ScenarioRun } from './engine/scenario.ts';
export { runIfMain } from './cli/main.ts';
// configuration
export { DEFAULT_CONFIG, FABRIC, TINY, applySets, configKeys, mergeConfig, validateConfig, type WeftConfig, type RecordMode } from './config/config.ts';
export { EXIT, WeftError, ConfigError, UsageError, LogCorruptError, LogFormatError, GoldenFileError } from './errors.ts';
// training
export { Trainer, type StepRecord, type Anomaly, type TrainingState } from './engine/trainer.ts';
export { runTraining, runTrainingAsync, type RunObserver, type RunResult } from './engine/run.ts';
export { SummaryObserver, type RunSummary } from './engine/summary.ts';
export { architectureOf, architectures, type Architecture, type Model } from './model/model.ts';
export { layerName, type ParamInfo, type ParamTable } from './layout/table.ts';
export { optimizerKinds } from './optim/registry.ts';
export type { Optimizer, OptimConfig, OptimState } from './optim/optimizer.ts';
// data: its tasks (data.kind), as optimizers have kinds
export { taskKinds } from './data/registry.ts';
export type { Task, TaskKind, TaskModel, TaskFormat, DataConfig } from './data/task.ts';
export { evaluate, type SplitMetrics } from './data/metrics.ts';
export { IGNORED_TARGET } from './kernels/types.ts';
// the flight recorder
export { openLog, LogReader, type FrameRef } from './log/reader.ts';
export { Recorder } from './engine/recorder.ts';
export type { StepView } from './log/steps.ts';
export type { HeaderRecord, StepRecordBody, KeyframeRecord, AnomalyRecord, EndRecord } from './log/records.ts';
// replay, verify, fork, export
export { stateAt, type ReplayState } from './replay/state.ts';
export { verifyLog, type VerifyResult, type Mismatch } from './replay/verify.ts';
export { startFork, startResume } from './replay/fork.ts';
export { encodeSafetensors } from './replay/safetensors.ts';
// inference: what the model writes after a prompt
export { sample, logits, modelStateAt, textCodecOf, type ModelState, type SampleOptions, type Sample, type SampledToken, type SampleScore } from './replay/sample.ts';
export type { TextCodec } from './data/text-codec.ts';
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
export { runSweep, type RunSweepOptions, type SweepProgress } from './sweep/execute.ts';
export type { SweepSpec, SweepPlan, PlannedRun } from './sweep/plan.ts';
export { readManifest, type SweepManifest, type ManifestRun } from './sweep/manifest.ts';
export { mergeSweeps } from './sweep/merge.ts';
export { sweepReportData, sweepReportHtml, type SweepReportData } from './sweep/report.ts';
export { WEFT_VERSION } from './version.ts';
