import type { DeepPartial, WeftConfig } from '../config/config.ts';
import { mergeConfig, TINY, validateConfig } from '../config/config.ts';
import { hashBytes } from '../engine/hash.ts';
import { runTraining } from '../engine/run.ts';
import type { Scenario, ScenarioRun } from '../engine/scenario.ts';
import { maskCounts, ScenarioRunBuilder } from '../engine/scenario-run.ts';
import { Trainer, type Anomaly } from '../engine/trainer.ts';
import type { Kernels } from '../kernels/types.ts';
import { layerName } from '../layout/table.ts';
import { layerSpanNorms } from '../optim/clip.ts';
import { formatVersionOf } from '../log/format.ts';
import { WEFT_VERSION } from '../version.ts';
import { EvaluationsOf } from '../engine/evaluation.ts';
import type { SplitFigures } from '../log/evals.ts';
import { configHash, goldenFloat, type GoldenFloat } from './format.ts';

export const GOLDEN_FORMAT = 1;
/** Goldens run each scenario on the tiny model for this many steps (fast enough for every CI run). */
export const GOLDEN_STEPS = 24;

export interface GoldenStep {
  step: number;
  loss: GoldenFloat;
  lr: GoldenFloat;
  clipFactor: GoldenFloat;
  gradNorm: { global: GoldenFloat; perLayer: Record<string, GoldenFloat> };
  /** L2 norm of each layer group's parameters after the step, for people */
  paramNorm: Record<string, GoldenFloat>;
  /** 128-bit hashes of little-endian bytes, per tensor */
  params: Record<string, string>;
  m: Record<string, string> | null;
  v: Record<string, string> | null;
  masks: { hash: string; kept: number; total: number } | null;
}

/** Per-field allowance: a value passes within any one of abs, rel or ulp; `ignore` skips hash fields. */
export interface Tolerance {
  abs?: number;
  rel?: number;
  ulp?: number;
  ignore?: boolean;
}

export interface GoldenFile {
  golden: number;
  weft: string;
  logFormat: number;
  numericMode: string;
  scenario: string;
  configHash: string;
  config: WeftConfig;
  /** optional tolerances by field name (loss, lr, clipFactor, gradNorm.global, gradNorm.perLayer, paramNorm); exact when absent */
  tolerances?: Record<string, Tolerance>;
  steps: GoldenStep[];
  anomaly: Anomaly | null;
  /** the held-out evaluations of the golden run, at every step it evaluates (config.eval; absent without it) */
  evaluations?: GoldenEvaluation[];
}

export interface GoldenSplitFigures {
  examples: number;
  counted: number;
  loss: GoldenFloat;
  accuracy: GoldenFloat | null;
}

export interface GoldenEvaluation {
  step: number;
  heldOut: GoldenSplitFigures;
  train: GoldenSplitFigures;
}

const goldenSplit = (f: SplitFigures): GoldenSplitFigures => ({ examples: f.examples, counted: f.counted, loss: goldenFloat(f.loss), accuracy: f.accuracy === null ? null : goldenFloat(f.accuracy) });

/**
 * The config a scenario's golden runs: its own, on the tiny model, for GOLDEN_STEPS steps. The
 * recording policy changes no number, so it is pinned: a new default for it moves no golden.
 */
export function goldenConfig(s: Scenario): WeftConfig {
  return validateConfig(mergeConfig(s.config, { model: TINY, steps: GOLDEN_STEPS, record: { mode: 'summary', keyframeEvery: 50 } } as DeepPartial<WeftConfig>));
}

/** Steps a golden records: the first, the last, and a few between. */
export function goldenSteps(last: number): number[] {
  return [...new Set([1, 2, 3, Math.round(last / 4), Math.round(last / 2), last])].filter((s) => s >= 1 && s <= last).sort((a, b) => a - b);
}

function perTensor(t: Trainer, buf: ArrayLike<number> & ArrayBufferView): Record<string, string> | null {
  if (buf.byteLength === 0) return null;
  const out: Record<string, string> = {};
  for (const p of t.table.tensors) out[p.name] = hashBytes((buf as Float32Array).subarray(p.offset, p.offset + p.size));
  return out;
}

/** Trains a scenario's golden config and captures its golden (optionally on other kernels: tests). */
export function captureGolden(s: Scenario, kernels?: Kernels): GoldenFile {
  return captureGoldenRun(s, kernels).golden;
}

export function captureGoldenRun(s: Scenario, kernels?: Kernels): { golden: GoldenFile; run: ScenarioRun } {
  const config = goldenConfig(s);
  const t = new Trainer(config, { kernels });
  const chosen = new Set(goldenSteps(config.steps));
  const L = config.model.nLayers;
  const steps: GoldenStep[] = [];
  // the evaluations the run's log would hold (config.eval), as the recorder computes them
  const evaluator = config.eval ? new EvaluationsOf(t, config.dtype, config.eval) : null;
  // every step's figures, for the scenario's expectations (not stored in the file)
  const all = new ScenarioRunBuilder(L, `the golden run of ${s.name}`);
  const result = runTraining(t, config.steps, [all, {
    onStep: (r) => {
      // a step that stopped on NaN/Inf is kept too: where a run blows up is part of its golden
      if (evaluator && t.stepsDone === r.step) evaluator.afterStep(t);
      if (!chosen.has(r.step) && !r.anomaly) return;
      const perLayer: Record<string, GoldenFloat> = {};
      r.gradNorm.perLayer.forEach((g, l) => (perLayer[layerName(l, L)] = goldenFloat(g)));
      const paramNorm: Record<string, GoldenFloat> = {};
      layerSpanNorms(t.state.params, t.table).forEach((x, l) => (paramNorm[layerName(l, L)] = goldenFloat(x)));
      const masks = r.masks ? [...r.masks.values()] : null;
      const maskSummary: GoldenStep['masks'] = masks ? { hash: hashBytes(...masks), ...maskCounts(masks) } : null;
      steps.push({
        step: r.step,
        loss: goldenFloat(r.loss),
        lr: goldenFloat(r.lr),
        clipFactor: goldenFloat(r.clipFactor),
        gradNorm: { global: goldenFloat(r.gradNorm.global), perLayer },
        paramNorm,
        params: perTensor(t, t.state.params)!,
        m: perTensor(t, t.state.m),
        v: perTensor(t, t.state.v),
        masks: maskSummary,
      });
    },
  }]);
  const evaluations = evaluator ? evaluator.finish(t, result) : [];
  const golden: GoldenFile = {
    golden: GOLDEN_FORMAT,
    weft: WEFT_VERSION,
    logFormat: formatVersionOf(config),
    numericMode: t.numericMode,
    scenario: s.name,
    configHash: configHash(config),
    config,
    steps,
    anomaly: result.anomaly,
    ...(evaluator ? { evaluations: evaluations.map((e) => ({ step: e.step, heldOut: goldenSplit(e.heldOut), train: goldenSplit(e.train) })) } : {}),
  };
  all.evaluations = evaluations;
  return { golden, run: all.run(result.anomaly) };
}
