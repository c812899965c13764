import type { FloatArray, Kernels } from '../kernels/types.ts';
import { decodeFloats, decodeFloatsLater } from '../log/codec.ts';
import { f64From } from '../log/format.ts';
import type { LogReader } from '../log/reader.ts';
import type { StepRecordBody } from '../log/records.ts';
import { optimizerStep } from '../optim/registry.ts';
import type { OptimState } from '../optim/optimizer.ts';
import { CodecError } from '../errors.ts';
import type { TrainingState } from '../engine/trainer.ts';

/** A state being walked through a log (its step is the walker's): the training state's arrays and update count, and what walking needs besides. */
export interface WalkState extends Omit<TrainingState, 'step'> {
  /** the last step's decoded gradient (compact logs), else null */
  grads: FloatArray | null;
  /** the log's numeric mode's kernels: they allocated the buffers, and run its optimizer */
  kernels: Kernels;
}

/**
 * Applies step r's record to the state — the one step walker of replay, verify and diff. A full
 * log's step holds Δw, m and v as differences from the step before: added (direction +1) or
 * taken back (−1, from the state after the step to the one before it). A compact log's step
 * holds the gradient the optimizer used: decoded and applied with the log's optimizer (forward
 * only). A record that does not decode is the log's corruption, naming the step's offset.
 */
export function applyStep(log: LogReader, st: WalkState, r: StepRecordBody, direction: 1 | -1 = 1): void {
  const h = log.header;
  codecGuard(log, 'step', r.step, () => {
    if (h.mode === 'full') {
      if (!r.params || !r.m || !r.v) throw log.corrupt('step', r.step, 'a full log’s step has no arrays');
      decodeFloats(r.params, st.params, st.params, direction);
      decodeFloats(r.m, st.m, st.m, direction);
      decodeFloats(r.v, st.v, st.v, direction);
      st.optimT = direction === 1 ? r.optimT : r.optimT - 1;
    } else if (h.mode === 'compact') {
      if (direction !== 1) throw new RangeError('a compact log is replayed forwards only');
      st.grads ??= st.kernels.alloc(h.dtype, st.params.length);
      decodeFloats(gradsOf(log, r), st.grads, null);
      optimize(log, st, r, st.grads);
    } else throw new RangeError('a summary log has no arrays to apply');
  });
}

/**
 * A compact log's steps from+1…to applied to the state, as applyStep one by one, with each
 * step's gradient decoded by the decode threads while this thread reads the next record and runs
 * the optimizer step before it (two gradient buffers in turn): the same operations on the same
 * values, so the same state, and the same error first. Returns step `to`'s recorded hash.
 */
export function applyCompactSteps(log: LogReader, st: WalkState, from: number, to: number): string {
  const n = st.params.length;
  const grads = [st.grads ?? st.kernels.alloc(log.header.dtype, n), st.kernels.alloc(log.header.dtype, n)];
  const begin = (r: StepRecordBody, out: FloatArray) => {
    const finish = codecGuard(log, 'step', r.step, () => decodeFloatsLater(gradsOf(log, r), out, null));
    return () => codecGuard(log, 'step', r.step, finish);
  };
  let r = log.readStep(from + 1);
  let pending: (() => void) | null = begin(r, grads[0]);
  try {
    for (let s = from + 1; ; s++) {
      const cur = r;
      const g = grads[(s - from - 1) & 1];
      let next: StepRecordBody | null = null;
      let readError: unknown = null;
      try {
        if (s < to) next = log.readStep(s + 1);
      } catch (e) {
        readError = e;
      }
      const finish = pending;
      pending = null;
      finish!(); // step s's gradient: its error comes before a later record's, as one step at a time
      if (readError) throw readError;
      if (next) pending = begin((r = next), grads[(s - from) & 1]);
      optimize(log, st, cur, g);
      st.grads = g;
      if (!next) return cur.stateHash;
    }
  } finally {
    // a decoding begun holds the codec's memory until it is finished, also when an error ends the walk
    try {
      pending?.();
    } catch {
      // the error that ended the walk is the one to report
    }
  }
}

function gradsOf(log: LogReader, r: StepRecordBody): Uint8Array {
  if (!r.grads) throw log.corrupt('step', r.step, 'a compact log’s step has no gradient');
  return r.grads;
}

/** Step r's optimizer step on the state with the gradient `grads`. */
function optimize(log: LogReader, st: WalkState, r: StepRecordBody, grads: FloatArray): void {
  const opt: OptimState = { t: st.optimT, m: st.m, v: st.v };
  optimizerStep(log.header.config.optim, f64From(r.lr), st.params, grads, opt, st.kernels);
  st.optimT = opt.t;
}

/** Runs f, reporting an array that does not decode as the log's corruption at that record's offset. */
export function codecGuard<T>(log: LogReader, kind: 'step' | 'keyframe', step: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CodecError) throw log.corrupt(kind, step, e.message);
    throw e;
  }
}
