import { stateHashOf } from '../engine/hash.ts';
import { loggedBatchesOf } from './data.ts';
import { LogCorruptError, UsageError } from '../errors.ts';
import { Trainer, type TrainingState } from '../engine/trainer.ts';
import { kernelsFor } from '../kernels/registry.ts';
import type { FloatArray, Kernels } from '../kernels/types.ts';
import { architectureOf } from '../model/model.ts';
import { FILE_HEADER_BYTES } from '../log/format.ts';
import { decodeFloats } from '../log/codec.ts';
import type { LogReader } from '../log/reader.ts';
import { applyCompactSteps, applyStep, codecGuard, type WalkState } from './step.ts';
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
  checkModelTable(log);
  const h = log.header;
  const kfs = log.keyframeSteps;
  let before = -1;
  let after = -1;
  for (const k of kfs) {
    if (k <= n && k > before) before = k;
    if (k >= n && (after < 0 || k < after)) after = k;
  }
  if (before < 0 && !(h.mode === 'full' && after >= 0)) throw noKeyframe(log, n);
  const useBackward = h.mode === 'full' && after >= 0 && (before < 0 || after - n < n - before);
  const from = useBackward ? after : before;
  const st = keyframeState(log, from);
  let method: ReplayCost['method'] = 'keyframe';
  let expected = n === from ? st.stateHash : null; // step n's recorded hash, once its record is read
  if (n === from && from === h.startStep) checkStartKeyframe(log, st);
  if (useBackward) {
    for (let s = from; s > n; s--) applyStep(log, st, log.readStep(s), -1);
    method = 'deltas';
  } else if (n > from) {
    expected = forward(log, st, from, n);
    method = h.mode === 'full' ? 'deltas' : h.mode === 'compact' ? 'optimizer' : 're-execution';
  }
  const hash = stateHashOf(n, st.optimT, st.params, st.m, st.v);
  expected ??= log.readStep(n).stateHash;
  if (hash !== expected) {
    throw log.corrupt(n === from ? 'keyframe' : 'step', n, `the state rebuilt (${method} from keyframe ${from}) hashes to ${hash}, the log records ${expected}`);
  }
  if (cost) Object.assign(cost, { fromKeyframe: from, stepsApplied: n - from, method });
  return { step: n, params: st.params, m: st.m, v: st.v, optimT: st.optimT, dataCursor: n, stateHash: hash, kernels: st.kernels };
}

/**
 * No keyframe to start from. A log whose readable part ends before a frame cut short (its run
 * killed while writing its first keyframe) is named by that frame's offset.
 */
function noKeyframe(log: LogReader, n: number): LogCorruptError {
  if (log.tornTailBytes === 0) return new LogCorruptError(log.path, -1, null, `no keyframe at or before step ${n}`);
  const at = log.sizeBytes - log.tornTailBytes;
  return new LogCorruptError(log.path, at, null, `no keyframe at or before step ${n}: the log ends there, in a frame cut short (a write stopped, as by a kill)`);
}

/**
 * A keyframe's state, decoded into buffers of the log's numeric mode's kernels, on one thread:
 * a compact log's optimizer steps are bound by memory, not arithmetic, and a kernel worker beside
 * the decode threads only takes turns with them on the cores (on 2 cores, stateAt of a 43-step
 * walk took 280 ms so against 330–364 with the kernels on 2). A keyframe after the log's
 * start must carry the state hash of its step's record: a keyframe frame of another run, whole
 * and with its checksum intact, is corruption, not that run's weights beside this run's loss.
 */
function keyframeState(log: LogReader, from: number): WalkState & { stateHash: string } {
  const h = log.header;
  const kf = log.readKeyframe(from);
  if (from > h.startStep) {
    const recorded = log.readStep(from).stateHash;
    if (kf.stateHash !== recorded) throw log.corrupt('keyframe', from, `its state hash ${kf.stateHash} is not step ${from}'s (${recorded}): a keyframe of another run`);
  }
  const total = paramTable(h).total;
  const kernels = kernelsFor(h.numericMode, undefined, 1);
  const params = kernels.alloc(h.dtype, total);
  const m = kernels.alloc(h.dtype, h.optimBuffers.m ? total : 0);
  const v = kernels.alloc(h.dtype, h.optimBuffers.v ? total : 0);
  codecGuard(log, 'keyframe', from, () => {
    decodeFloats(kf.params, params, null);
    decodeFloats(kf.m, m, null);
    decodeFloats(kf.v, v, null);
  });
  return { params, m, v, optimT: kf.optimT, grads: null, kernels, stateHash: kf.stateHash };
}

/**
 * Brings a state from step `from` to step `to` through the recorded steps (full, compact) or by
 * re-executing training (summary); returns step `to`'s recorded hash, which the caller checks.
 */
function forward(log: LogReader, st: WalkState, from: number, to: number): string {
  const h = log.header;
  if (h.mode === 'compact') return applyCompactSteps(log, st, from, to);
  if (h.mode === 'full') {
    let hash = '';
    for (let s = from + 1; s <= to; s++) {
      const r = log.readStep(s);
      applyStep(log, st, r);
      hash = r.stateHash;
    }
    return hash;
  }
  const trainer = new Trainer(h.config, { numericMode: h.numericMode, loggedBatches: loggedBatchesOf(log) });
  trainer.loadState(from, st.params, st.m, st.v, st.optimT);
  while (trainer.stepsDone < to) trainer.step();
  st.params.set(trainer.params);
  st.m.set(trainer.optim.m);
  st.v.set(trainer.optim.v);
  st.optimT = trainer.optim.t;
  return log.readStep(to).stateHash;
}

/** Logs whose start keyframe has been checked by the step after it, and whose table matched the model's. */
const startChecked = new WeakSet<LogReader>();
const tableChecked = new WeakSet<LogReader>();

/**
 * The keyframe at a log's start has no step record of its own to carry its hash: the step after it
 * does. One step forward from the keyframe must give that step's recorded hash (once per log); a
 * log with no step after its start has only the keyframe's own hash to go by.
 */
function checkStartKeyframe(log: LogReader, st: WalkState): void {
  const start = log.header.startStep;
  if (startChecked.has(log) || !log.hasStep(start + 1)) return;
  const { kernels } = st;
  const copy = (a: FloatArray) => {
    const b = kernels.alloc(log.header.dtype, a.length);
    b.set(a);
    return b;
  };
  const probe: WalkState = { params: copy(st.params), m: copy(st.m), v: copy(st.v), optimT: st.optimT, grads: null, kernels };
  const expected = forward(log, probe, start, start + 1);
  const hash = stateHashOf(start + 1, probe.optimT, probe.params, probe.m, probe.v);
  if (hash !== expected) throw log.corrupt('keyframe', start, `one step from it hashes to ${hash}, step ${start + 1} records ${expected}: a keyframe of another run`);
  startChecked.add(log);
}

/**
 * The header's parameter table against the model's own (a pair assertion: the recorder wrote the
 * model's table; a header whose table differs by one element is damage, not another model).
 */
export function checkModelTable(log: LogReader): void {
  if (tableChecked.has(log)) return;
  const h = log.header;
  const arch = architectureOf(h.config.model.arch);
  const cfg = { ...h.config.model, vocabSize: h.vocabSize };
  const sites = arch.dropoutSites(cfg);
  const elements = arch.maskElements(cfg, h.config.data.batchSize, cfg.contextLength);
  if (sites.join() !== h.dropoutSites.join() || elements !== h.maskElements) {
    throw new LogCorruptError(log.path, FILE_HEADER_BYTES, 0, `header.dropoutSites/maskElements (${h.dropoutSites.length} sites of ${h.maskElements}) are not what the ${arch.name} model of its config declares (${sites.length} sites of ${elements})`);
  }
  const model = arch.table(cfg).tensors;
  const n = Math.max(model.length, h.params.length);
  for (let i = 0; i < n; i++) {
    const a = h.params[i];
    const b = model[i];
    if (!a || !b || a.name !== b.name || a.size !== b.size || a.offset !== b.offset || a.layer !== b.layer || a.shape.join() !== b.shape.join()) {
      const what = (t: typeof a | undefined) => (t ? `${t.name} [${t.shape.join(', ')}] at ${t.offset}` : 'nothing');
      throw new LogCorruptError(log.path, FILE_HEADER_BYTES, 0, `header.params[${i}] is ${what(a)}, the model of its config has ${what(b)}`);
    }
  }
  tableChecked.add(log);
}
