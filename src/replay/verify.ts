import type { FloatArray } from '../kernels/types.ts';
import { trainerOnLoggedData } from './data.ts';
import { Trainer, type StepRecord } from '../engine/trainer.ts';
import { decodeFloats } from '../log/codec.ts';
import type { LogReader } from '../log/reader.ts';
import type { EvalRecord, HeaderRecord, ProbeRecord, StepRecordBody } from '../log/records.ts';
import { decodeEval, evalDifference } from '../log/evals.ts';
import { Evaluator } from '../engine/evaluation.ts';
import { viewAs } from '../log/format.ts';
import { Prober } from '../engine/probe.ts';
import { Completer, decodeCompletion, type Completion } from '../engine/completion.ts';
import { stepMasks, stepView } from '../log/steps.ts';
import { firstStepDifference, type StepSide } from '../log/compare.ts';
import { stateAt } from './state.ts';
import { checkLog } from './check.ts';
import { codecGuard } from './step.ts';
import { stateHashOf } from '../engine/hash.ts';
import { allocFloat } from '../kernels/types.ts';

/** Where a re-execution first disagreed with the log. */
export interface Mismatch {
  step: number;
  field: string;
  tensor: string | null;
  index: number | null;
  recorded: number | string;
  recomputed: number | string;
}

export interface VerifyResult {
  ok: boolean;
  stepsChecked: number;
  arraysChecked: boolean;
  mismatch: Mismatch | null;
}

/** Buffers a recorded step's arrays are decoded into, reused step to step. */
interface Decoded {
  grads: FloatArray;
  params: FloatArray;
  m: FloatArray;
  v: FloatArray;
}

/** The recorded step as the comparator sees it: scalars, masks, and its arrays decoded (full: from the state before). */
function recordedSide(h: HeaderRecord, body: StepRecordBody, prev: { params: FloatArray; m: FloatArray; v: FloatArray } | null, out: Decoded): StepSide {
  const v = stepView(body);
  if (body.grads) decodeFloats(body.grads, out.grads, null);
  const full = body.params && prev;
  if (full) {
    decodeFloats(body.params!, out.params, prev.params, 1);
    decodeFloats(body.m!, out.m, prev.m, 1);
    decodeFloats(body.v!, out.v, prev.v, 1);
  }
  return {
    inputs: v.inputs, targets: v.targets, masks: stepMasks(h, body), loss: v.loss,
    gradNormPerTensor: v.gradNormPerTensor, gradNormGlobal: v.gradNormGlobal, clipFactor: v.clipFactor,
    grads: body.grads ? out.grads : null, lr: v.lr,
    m: full ? out.m : null, v: full ? out.v : null, params: full ? out.params : null,
    optimT: body.optimT, stateHash: body.stateHash,
  };
}

/** The re-executed step and the trainer's state after it. */
function recomputedSide(rec: StepRecord, t: Trainer): StepSide {
  return {
    inputs: rec.inputs, targets: rec.targets, masks: rec.masks, loss: rec.loss,
    gradNormPerTensor: rec.gradNorm.perTensor, gradNormGlobal: rec.gradNorm.global, clipFactor: rec.clipFactor,
    grads: rec.grads, lr: rec.lr, m: t.state.m, v: t.state.v, params: t.state.params, optimT: t.state.optimT, stateHash: rec.stateHash,
  };
}

/** Compares one recomputed step with its record, field by field in causal order (log/compare.ts). */
function compareStep(h: HeaderRecord, body: StepRecordBody, rec: StepRecord, t: Trainer, prev: { params: FloatArray; m: FloatArray; v: FloatArray } | null, decoded: Decoded): Mismatch | null {
  const d = firstStepDifference(h, recordedSide(h, body, prev, decoded), recomputedSide(rec, t), { sameArch: true, sameMoments: true });
  return d ? { step: rec.step, field: d.field, tensor: d.tensor, index: d.index, recorded: d.a ?? 'missing', recomputed: d.b ?? 'missing' } : null;
}

/** The hash of a keyframe's arrays as decoded (into the verifier's reused buffers). */
function keyframeHash(log: LogReader, step: number, into: Decoded): string {
  const kf = log.readKeyframe(step);
  return codecGuard(log, 'keyframe', step, () => {
    decodeFloats(kf.params, into.params, null);
    decodeFloats(kf.m, into.m, null);
    decodeFloats(kf.v, into.v, null);
    return stateHashOf(step, kf.optimT, into.params, into.m, into.v);
  });
}

/**
 * Re-executes the run from its header (from the log's first keyframe, for forks and resumes)
 * and compares every step: hashes always, arrays where the log has them, keyframes, attention
 * probes and evaluations where it has them. Stops at the first difference. The log is checked whole first
 * (checkLog): damage anywhere is a LogCorruptError, never "reproduced".
 */
export function verifyLog(log: LogReader, onStep?: (step: number) => void, opts: { dataPath?: string } = {}): VerifyResult {
  // what is re-executed is checked first, whole (checkLog)
  checkLog(log);
  const h = log.header;
  // (a run on a user's files: them by hash first; opts.dataPath, --data, a moved copy)
  const t = trainerOnLoggedData(h, h.config, { numericMode: h.numericMode }, opts.dataPath);
  if (h.startStep > 0) {
    const s = stateAt(log, h.startStep);
    t.loadState(s.step, s.params, s.m, s.v, s.optimT);
  }
  const n = t.model.table.total;
  const decoded: Decoded = { grads: allocFloat(h.dtype, n), params: allocFloat(h.dtype, n), m: allocFloat(h.dtype, t.state.m.length), v: allocFloat(h.dtype, t.state.v.length) };
  let checked = 0;
  const steps = log.stepNumbers;
  // the probes, recomputed at the steps the log has them and compared bit for bit
  const probes = new Map(log.probeFrames.map((f) => [f.step, f]));
  const prober = h.config.probe && probes.size ? new Prober(t.modelConfig, h.dtype, h.numericMode, h.vocab, h.config.probe.sentences) : null;
  const probeMismatch = (step: number): Mismatch | null => {
    if (!prober || !probes.has(step)) return null;
    const r = log.readRecord(probes.get(step)!) as ProbeRecord;
    const mine = prober.attention(t.state.params);
    for (let s = 0; s < mine.length; s++) {
      const rec = r.attention[s] ? viewAs(r.attention[s], Float64Array) : new Float64Array(0);
      const i = rec.length !== mine[s].length ? -1 : mine[s].findIndex((x, j) => !Object.is(x, rec[j]));
      if (rec.length !== mine[s].length || i >= 0) {
        return { step, field: 'probe.attention', tensor: `sentence ${s + 1}`, index: i >= 0 ? i : null, recorded: i >= 0 ? rec[i] : `${rec.length} values`, recomputed: i >= 0 ? mine[s][i] : `${mine[s].length} values` };
      }
    }
    return completionMismatch(step, r);
  };
  // the completion probes (config.probe.prompts) likewise: tokens and probabilities, bit for bit
  const prompts = h.config.probe?.prompts ?? [];
  const completer = prober && prompts.length ? new Completer(t.modelConfig, h.dtype, h.numericMode, h.vocab, prompts) : null;
  const completionMismatch = (step: number, r: ProbeRecord): Mismatch | null => {
    if (!completer) return r.completions ? { step, field: 'probe.completions', tensor: null, index: null, recorded: `${r.completions.length} prompts`, recomputed: 'none (the config has no probe.prompts)' } : null;
    const mine = completer.complete(t.state.params, step);
    if (!r.completions || r.completions.length !== mine.length) return { step, field: 'probe.completions', tensor: null, index: null, recorded: `${r.completions?.length ?? 'no'} prompts`, recomputed: `${mine.length} prompts` };
    const show = (c: Completion, key: 'ids' | 'tokens' | 'top' | 'probabilities') => (key === 'ids' || key === 'tokens' ? c[key].join(' ') : key === 'top' ? c.top.map((x) => x.id).join(' ') : c.top.map((x) => x.probability).join(' '));
    for (let i = 0; i < mine.length; i++) {
      const rec = decodeCompletion(r.completions[i]);
      for (const key of ['ids', 'tokens', 'top', 'probabilities'] as const) {
        // probabilities by their bits: a float64's decimal string identifies it
        if (show(rec, key) !== show(mine[i], key)) return { step, field: `probe.completions.${key}`, tensor: `prompt ${i + 1}`, index: null, recorded: show(rec, key), recomputed: show(mine[i], key) };
      }
    }
    return null;
  };
  // the evaluations likewise, recomputed from the re-executed state and compared bit for bit
  const evals = new Map(log.evalFrames.map((f) => [f.step, f]));
  const evaluator = h.config.eval && evals.size ? new Evaluator(t.modelConfig, h.dtype, h.numericMode, t.data, h.config.eval) : null;
  const evalMismatch = (step: number): Mismatch | null => {
    if (!evaluator || !evals.has(step)) return null;
    const d = evalDifference(decodeEval(log.readRecord(evals.get(step)!) as EvalRecord), evaluator.evaluate(t.state.params, step));
    return d ? { step, field: `eval.${d.field}`, tensor: null, index: null, recorded: d.a ?? 'null', recomputed: d.b ?? 'null' } : null;
  };
  // every keyframe, decoded, against the state re-executed to its step
  const keyframes = new Set(log.keyframeSteps);
  const keyframeMismatch = (step: number): Mismatch | null => {
    if (!keyframes.has(step)) return null;
    const kf = log.readKeyframe(step);
    const mine = t.stateHash();
    const own = keyframeHash(log, step, decoded);
    if (own !== kf.stateHash) throw log.corrupt('keyframe', step, `its arrays hash to ${own}, it records ${kf.stateHash}`);
    return kf.stateHash === mine ? null : { step, field: 'keyframe', tensor: null, index: null, recorded: kf.stateHash, recomputed: mine };
  };
  const startMismatch = keyframeMismatch(t.stepsDone) ?? probeMismatch(t.stepsDone) ?? evalMismatch(t.stepsDone);
  if (startMismatch) return { ok: false, stepsChecked: 0, arraysChecked: h.mode !== 'summary', mismatch: startMismatch };
  const prev = h.mode === 'full' ? { params: t.state.params.slice(), m: t.state.m.slice(), v: t.state.v.slice() } : null;
  for (const n of steps) {
    if (n !== t.stepsDone + 1) return { ok: false, stepsChecked: checked, arraysChecked: h.mode !== 'summary', mismatch: { step: n, field: 'step', tensor: null, index: null, recorded: n, recomputed: t.stepsDone + 1 } };
    const rec = t.step();
    const m = compareStep(h, log.readStep(n), rec, t, prev, decoded);
    if (m) return { ok: false, stepsChecked: checked, arraysChecked: h.mode !== 'summary', mismatch: m };
    if (prev) {
      prev.params.set(t.state.params);
      prev.m.set(t.state.m);
      prev.v.set(t.state.v);
    }
    const pm = keyframeMismatch(n) ?? probeMismatch(n) ?? evalMismatch(n);
    if (pm) return { ok: false, stepsChecked: checked, arraysChecked: h.mode !== 'summary', mismatch: pm };
    checked++;
    onStep?.(n);
    if (rec.anomaly) break;
  }
  // a run that stopped on NaN/Inf must stop again, at the same step and tensor
  const recorded = log.readAnomalies()[0] ?? null;
  let anomaly = t.stopped;
  if (recorded && !anomaly && recorded.step === t.stepsDone + 1) anomaly = t.step().anomaly;
  const f = (a: { step: number; stage: string; tensor: string | null; index: number | null } | null) => (a ? `step ${a.step} ${a.stage}${a.tensor ? ` ${a.tensor}` : ''}${a.index !== null ? `[${a.index}]` : ''}` : 'none');
  if (recorded && f(recorded) !== f(anomaly)) {
    return { ok: false, stepsChecked: checked, arraysChecked: h.mode !== 'summary', mismatch: { step: recorded.step, field: 'anomaly', tensor: recorded.tensor, index: recorded.index, recorded: f(recorded), recomputed: f(anomaly) } };
  }
  return { ok: true, stepsChecked: checked, arraysChecked: h.mode !== 'summary', mismatch: null };
}
