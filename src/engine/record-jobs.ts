import type { FloatArray } from '../kernels/types.ts';
import { encodeFloats } from '../log/codec.ts';
import type { KeyframeRecord, RecordKind, StepRecordBody } from '../log/records.ts';
import type { LogWriter } from '../log/writer.ts';
import { stateHashOf } from './hash.ts';

/** A training state's three arrays: what is hashed, keyframed, and differenced in full logs. */
export interface StateArrays {
  params: FloatArray;
  m: FloatArray;
  v: FloatArray;
}

/**
 * The recorder's work that costs: coding the arrays and hashing the state (tens of ms a step on
 * fabric-bench), handed over as jobs so that it can run on a recording thread while the next step
 * trains (record-thread.ts), or here (InlineOutput). Both run these jobs with the same code, so a
 * log's bytes do not depend on where they ran. A job's arrays are `owned` when they are copies
 * made for it (a thread's), and otherwise the trainer's own, read before it moves on.
 */
export type RecordJob =
  /** a record packed where it was made (msgpack.ts pack): its bytes are final */
  | { op: 'packed'; body: Uint8Array; kind: RecordKind; step: number; completes: number | null; sync: boolean }
  /** full logs: the state the first step's differences are taken from */
  | { op: 'prev'; state: StateArrays; owned: boolean }
  | { op: 'keyframe'; step: number; optimT: number; state: StateArrays; owned: boolean }
  /**
   * a step's record with its cheap fields built (encodeStep) and its coded arrays and state hash
   * to make: params/m/v against the previous step's (full), or the gradient (compact, `grads`);
   * the hash already made where `stateHash` is given (the same function of the same arrays)
   */
  | { op: 'step'; body: StepRecordBody; step: number; optimT: number; state: StateArrays; full: boolean; grads: FloatArray | null; owned: boolean; stateHash?: string };

/** What the recorder hands over to be coded and hashed: every job but an already packed record. */
export type StateJob = Exclude<RecordJob, { op: 'packed' }>;

/** The recording thread's shared control block: Int32 slots, then the log's size as a float64. */
export const CONTROL = { READY: 0, DONE: 1, FAILED: 2, DEAD: 3, INTS: 4, BYTES_AT: 16, SIZE: 24 } as const;

/** A recording thread's failure, as it crosses to the training thread (an Error does not keep its class). */
export type ThreadError =
  | { kind: 'write'; file: string; systemError: string; lastStep: number | null }
  | { kind: 'other'; name: string; message: string };

function enc(a: FloatArray, prev: FloatArray | null, ends: readonly number[]): Uint8Array {
  return encodeFloats(a, prev, a.length ? ends : [0]);
}

export function keyframeRecord(step: number, optimT: number, s: StateArrays, ends: readonly number[]): KeyframeRecord {
  return { kind: 'keyframe', step, optimT, params: enc(s.params, null, ends), m: enc(s.m, null, ends), v: enc(s.v, null, ends), stateHash: stateHashOf(step, optimT, s.params, s.m, s.v) };
}

const arraysOf = (s: StateArrays): FloatArray[] => [s.params, s.m, s.v];

function copyState(s: StateArrays): StateArrays {
  return { params: s.params.slice(), m: s.m.slice(), v: s.v.slice() };
}

/** Runs the recorder's jobs into a writer, in order; holds full logs' previous state. */
export class JobRunner {
  private prev: StateArrays | null = null;

  /** `ends`: the codec's segments of the parameter buffer (recorder.ts segmentsOf). */
  constructor(readonly writer: LogWriter, private readonly ends: readonly number[]) {}

  /** The previous state it holds (full logs), given up: another runner continues from it. */
  takePrev(): StateArrays | null {
    const p = this.prev;
    this.prev = null;
    return p;
  }

  /** Runs a job; returns the copies it owned and is done with (a recording thread hands them back for reuse). */
  run(job: RecordJob): FloatArray[] {
    switch (job.op) {
      case 'packed':
        this.writer.writePacked(job.body, job.kind, job.step, job.completes, job.sync);
        return [];
      case 'prev': {
        const old = this.prev;
        this.prev = job.owned ? job.state : copyState(job.state);
        return job.owned && old ? arraysOf(old) : [];
      }
      case 'keyframe':
        this.writer.write(keyframeRecord(job.step, job.optimT, job.state, this.ends), true);
        return job.owned ? arraysOf(job.state) : [];
      case 'step': {
        const { body, state: s } = job;
        let done: FloatArray[] = [];
        if (job.full) {
          const p = this.prev;
          if (!p) throw new Error('a full log\'s step before its previous state');
          body.params = enc(s.params, p.params, this.ends);
          body.m = enc(s.m, p.m, this.ends);
          body.v = enc(s.v, p.v, this.ends);
          if (job.owned) {
            this.prev = s;
            done = arraysOf(p);
          } else {
            p.params.set(s.params);
            p.m.set(s.m);
            p.v.set(s.v);
          }
        } else if (job.grads) body.grads = enc(job.grads, null, this.ends);
        body.stateHash = job.stateHash ?? stateHashOf(job.step, job.optimT, s.params, s.m, s.v);
        this.writer.write(body);
        if (job.owned && !job.full) done = [...arraysOf(s), ...(job.grads ? [job.grads] : [])];
        return done;
      }
    }
  }
}
