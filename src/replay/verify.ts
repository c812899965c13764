import type { FloatArray } from '../kernels/types.ts';
import { Trainer, type StepRecord } from '../engine/trainer.ts';
import { decodeFloats } from '../log/codec.ts';
import type { LogReader } from '../log/reader.ts';
import { paramTable, type HeaderRecord, type StepRecordBody } from '../log/records.ts';
import { tensorAt } from '../model/params.ts';
import { stepMasks, stepView } from '../log/steps.ts';
import { stateAt } from './state.ts';
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

/** The tensor holding flat index i, and the index within it. */
export function tensorOf(h: HeaderRecord, i: number): { tensor: string; index: number } {
  const at = tensorAt(paramTable(h), i);
  return at ? { tensor: at.tensor.name, index: at.index } : { tensor: '?', index: i };
}

/** First index where two arrays differ in bits (NaN equals NaN only with the same bits). */
export function firstBitDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}

function compareArray(h: HeaderRecord, step: number, field: string, recorded: ArrayLike<number>, recomputed: ArrayLike<number>, byTensor: boolean): Mismatch | null {
  const i = firstBitDifference(recorded, recomputed);
  if (i < 0) return null;
  const where = byTensor ? tensorOf(h, i) : { tensor: null, index: i };
  return { step, field, ...where, recorded: recorded[i] ?? 'missing', recomputed: recomputed[i] ?? 'missing' };
}

function scalar(step: number, field: string, recorded: number, recomputed: number): Mismatch | null {
  return Object.is(recorded, recomputed) ? null : { step, field, tensor: null, index: null, recorded, recomputed };
}

/** Compares one recomputed step with its record, in the order causes come: data, masks, forward, backward, update. */
function compareStep(h: HeaderRecord, body: StepRecordBody, rec: StepRecord, t: Trainer, prev: { params: FloatArray; m: FloatArray; v: FloatArray } | null, scratch: FloatArray): Mismatch | null {
  const v = stepView(body);
  const s = rec.step;
  const checks: (() => Mismatch | null)[] = [
    () => compareArray(h, s, 'inputs', v.inputs, rec.inputs, false),
    () => compareArray(h, s, 'targets', v.targets, rec.targets, false),
    () => {
      const masks = stepMasks(h, body);
      if (!masks || !rec.masks) return masks || rec.masks ? { step: s, field: 'masks', tensor: null, index: null, recorded: masks ? 'present' : 'absent', recomputed: rec.masks ? 'present' : 'absent' } : null;
      for (const site of h.dropoutSites) {
        const m = compareArray(h, s, 'masks', masks.get(site)!, rec.masks.get(site)!, false);
        if (m) return { ...m, tensor: site };
      }
      return null;
    },
    () => scalar(s, 'loss', v.loss, rec.loss),
    () => compareArray(h, s, 'gradNorm.perTensor', v.gradNorm.perTensor, rec.gradNorm.perTensor, false),
    () => scalar(s, 'gradNorm.global', v.gradNorm.global, rec.gradNorm.global),
    () => scalar(s, 'clipFactor', v.clipFactor, rec.clipFactor),
    () => scalar(s, 'lr', v.lr, rec.lr),
    () => {
      if (!body.grads) return null;
      decodeFloats(body.grads, scratch, null);
      return compareArray(h, s, 'grads', scratch, rec.grads, true);
    },
    () => {
      if (!body.params || !prev) return null;
      for (const [field, cur, p] of [['params', t.params, prev.params], ['m', t.optim.m, prev.m], ['v', t.optim.v, prev.v]] as const) {
        const out = cur.length === scratch.length ? scratch : allocFloat(h.dtype, cur.length);
        decodeFloats(body[field]!, out, p, 1);
        const m = compareArray(h, s, field, out, cur, true);
        if (m) return m;
      }
      return null;
    },
    () => scalar(s, 'optimT', body.optimT, t.optim.t),
    () => (body.stateHash === rec.stateHash ? null : { step: s, field: 'stateHash', tensor: null, index: null, recorded: body.stateHash, recomputed: rec.stateHash }),
  ];
  for (const c of checks) {
    const m = c();
    if (m) return m;
  }
  return null;
}

/**
 * Re-executes the run from its header (from the log's first keyframe, for forks and resumes)
 * and compares every step: hashes always, arrays where the log has them. Stops at the first
 * difference.
 */
export function verifyLog(log: LogReader, onStep?: (step: number) => void): VerifyResult {
  const h = log.header;
  const t = new Trainer(h.config, { numericMode: h.numericMode });
  if (h.startStep > 0) {
    const s = stateAt(log, h.startStep);
    t.loadState(s.step, s.params, s.m, s.v, s.optimT);
  }
  const scratch = allocFloat(h.dtype, t.model.table.total);
  let checked = 0;
  const steps = log.stepNumbers;
  const prev = h.mode === 'full' ? { params: t.params.slice(), m: t.optim.m.slice(), v: t.optim.v.slice() } : null;
  for (const n of steps) {
    if (n !== t.stepsDone + 1) return { ok: false, stepsChecked: checked, arraysChecked: h.mode !== 'summary', mismatch: { step: n, field: 'step', tensor: null, index: null, recorded: n, recomputed: t.stepsDone + 1 } };
    const rec = t.step();
    const m = compareStep(h, log.readStep(n), rec, t, prev, scratch);
    if (m) return { ok: false, stepsChecked: checked, arraysChecked: h.mode !== 'summary', mismatch: m };
    if (prev) {
      prev.params.set(t.params);
      prev.m.set(t.optim.m);
      prev.v.set(t.optim.v);
    }
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
