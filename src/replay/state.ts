import { stateHashOf } from '../engine/hash.ts';
import { LogCorruptError, UsageError } from '../errors.ts';
import { Trainer, type TrainingState } from '../engine/trainer.ts';
import { kernelsFor } from '../kernels/registry.ts';
import type { FloatArray, Kernels } from '../kernels/types.ts';
import { decodeFloats } from '../log/codec.ts';
import type { LogReader } from '../log/reader.ts';
import { applyStep, codecGuard, type WalkState } from './step.ts';
import { paramTable } from '../log/records.ts';

/** The training state right after step N (step 0 = the initial state), as a log rebuilds it. */
export interface ReplayState extends TrainingState {
  /** Steps of data consumed; batching is stateless, so the batch of step N+1 follows from it. */
  dataCursor: number;
  stateHash: string;
  /** The kernel set (of the log's numeric mode) whose memory holds the arrays. */
  kernels: Kernels;
}

export interface ReplayCost {
  /** the keyframe the state was rebuilt from */
  fromKeyframe: number;
  /** steps applied forwards (+) or backwards (−) from it */
  stepsApplied: number;
  method: 'keyframe' | 'deltas' | 'optimizer' | 're-execution';
}

function checkStep(log: LogReader, n: number): void {
  if (!Number.isInteger(n)) throw new UsageError(`step must be an integer, got ${n}`);
  if (n < log.header.startStep || n > log.lastStep) {
    throw new UsageError(`step ${n} is outside this log, which holds steps ${log.header.startStep}…${log.lastStep}`);
  }
}

/**
 * Exact state after step n, from the nearest keyframe: by recorded differences (full logs;
 * forwards from the keyframe before or backwards from the one after, whichever is nearer), by
 * the optimizer applied to recorded gradients (compact), or by re-executing training (summary).
 * The cost is bounded by the keyframe interval. The result's hash is checked against the log.
 */
export function stateAt(log: LogReader, n: number, cost?: ReplayCost): ReplayState {
  checkStep(log, n);
  const h = log.header;
  const kfs = log.keyframeSteps;
  let before = -1;
  let after = -1;
  for (const k of kfs) {
    if (k <= n && k > before) before = k;
    if (k >= n && (after < 0 || k < after)) after = k;
  }
  if (before < 0 && !(h.mode === 'full' && after >= 0)) throw new LogCorruptError(log.path, -1, null, `no keyframe at or before step ${n}`);
  const useBackward = h.mode === 'full' && after >= 0 && (before < 0 || after - n < n - before);
  const from = useBackward ? after : before;
  const kf = log.readKeyframe(from);
  const total = paramTable(h).total;
  const nm = h.optimBuffers.m ? total : 0;
  const nv = h.optimBuffers.v ? total : 0;
  // the log's numeric mode's kernels (compact logs replay its optimizer), one thread: starting
  // workers would cost more than they save on one state
  const kernels = kernelsFor(h.numericMode, undefined, 1);
  const params = kernels.alloc(h.dtype, total);
  const m = kernels.alloc(h.dtype, nm);
  const v = kernels.alloc(h.dtype, nv);
  codecGuard(log, 'keyframe', from, () => {
    decodeFloats(kf.params, params, null);
    decodeFloats(kf.m, m, null);
    decodeFloats(kf.v, v, null);
  });
  const st: WalkState = { params, m, v, optimT: kf.optimT, grads: null, kernels };
  let method: ReplayCost['method'] = 'keyframe';
  let expected = n === from ? kf.stateHash : null; // step n's recorded hash, once its record is read
  if (useBackward) {
    for (let s = from; s > n; s--) applyStep(log, st, log.readStep(s), -1);
    method = 'deltas';
  } else if (n > from && h.mode !== 'summary') {
    for (let s = from + 1; s <= n; s++) {
      const r = log.readStep(s);
      applyStep(log, st, r);
      if (s === n) expected = r.stateHash;
    }
    method = h.mode === 'full' ? 'deltas' : 'optimizer';
  } else if (n > from) {
    const trainer = new Trainer(h.config, { numericMode: h.numericMode, arch: h.arch });
    trainer.loadState(from, params, m, v, st.optimT);
    while (trainer.stepsDone < n) trainer.step();
    params.set(trainer.params);
    m.set(trainer.optim.m);
    v.set(trainer.optim.v);
    st.optimT = trainer.optim.t;
    method = 're-execution';
  }
  const hash = stateHashOf(n, st.optimT, params, m, v);
  expected ??= log.readStep(n).stateHash;
  if (hash !== expected) {
    throw log.corrupt(n === from ? 'keyframe' : 'step', n, `the state rebuilt (${method} from keyframe ${from}) hashes to ${hash}, the log records ${expected}`);
  }
  if (cost) Object.assign(cost, { fromKeyframe: from, stepsApplied: n - from, method });
  return { step: n, params, m, v, optimT: st.optimT, dataCursor: n, stateHash: hash, kernels };
}
