import { stateHashOf } from '../engine/hash.ts';
import { kernelsFor } from '../kernels/registry.ts';
import type { FloatArray } from '../kernels/types.ts';
import type { LogReader } from '../log/reader.ts';
import { paramTable } from '../log/records.ts';
import { stateAt } from '../replay/state.ts';
import { applyStep, type WalkState } from '../replay/step.ts';
import type { TrainingState } from '../engine/trainer.ts';

/** States a person opened lately, kept besides the spaced ones (scrubbing step by step reuses them). */
const RECENT = 4;

interface Checkpoint extends TrainingState {
  step: number;
}

/** A state's exact copy. */
function copyOf(step: number, s: Omit<TrainingState, 'step'>): Checkpoint {
  return { step, params: s.params.slice(), m: s.m.slice(), v: s.v.slice(), optimT: s.optimT };
}

/**
 * States of one log kept in memory between a viewer's requests, so that opening step n walks a
 * few records from a state near it instead of up to half a keyframe interval: every `every`-th
 * state as the layer-metrics walk passes it (spaced within a memory budget), and the last few
 * states a drill-down rebuilt. What stateAt returns is checked against the log's state hash, as
 * replay's own (replay/state.ts) is.
 */
export class Checkpoints {
  readonly log: LogReader;
  /** a state is kept every this many steps */
  readonly every: number;
  private readonly spaced = new Map<number, Checkpoint>();
  private recent: Checkpoint[] = [];
  /** buffers walked in, allocated once by the log's numeric mode's kernels */
  private walk: WalkState | null = null;

  constructor(log: LogReader, budgetBytes: number) {
    this.log = log;
    const h = log.header;
    const n = paramTable(h).total;
    const slots = 1 + (h.optimBuffers.m ? 1 : 0) + (h.optimBuffers.v ? 1 : 0);
    const stateBytes = n * slots * (h.dtype === 'float32' ? 4 : 8);
    this.every = Math.max(1, Math.ceil((log.stepNumbers.length * stateBytes) / Math.max(1, budgetBytes)));
  }

  /** A state the walk passes: kept when it falls on the spacing (copied; the walk moves on). */
  offer(step: number, s: Omit<TrainingState, 'step'>): void {
    if ((step - this.log.header.startStep) % this.every === 0 && !this.spaced.has(step)) this.spaced.set(step, copyOf(step, s));
  }

  /** A state a drill-down rebuilt and checked. */
  remember(step: number, s: Omit<TrainingState, 'step'>): void {
    if (this.spaced.has(step) || this.recent.some((c) => c.step === step)) return;
    this.recent.push(copyOf(step, s));
    if (this.recent.length > RECENT) this.recent.shift();
  }

  /** How many states are held (for tests and the benchmark). */
  get size(): number {
    return this.spaced.size + this.recent.length;
  }

  /**
   * The exact state after step n, from the nearest kept state — forwards, or backwards through
   * a full log's differences — or, when a keyframe is as near, by replay's stateAt. The arrays are
   * this object's buffers: valid until the next call.
   */
  stateAt(n: number): TrainingState & { stateHash: string } {
    const log = this.log;
    const h = log.header;
    const backwards = h.mode === 'full';
    const distance = (s: number) => (s <= n ? n - s : backwards ? s - n : Infinity);
    let best: Checkpoint | null = null;
    for (const c of [...this.spaced.values(), ...this.recent]) if (distance(c.step) < (best ? distance(best.step) : Infinity)) best = c;
    const keyframe = Math.min(...log.keyframeSteps.map(distance));
    if (!best || distance(best.step) >= keyframe || h.mode === 'summary') {
      const s = stateAt(log, n);
      return { step: n, params: s.params, m: s.m, v: s.v, optimT: s.optimT, stateHash: s.stateHash };
    }
    const st = this.buffers();
    st.params.set(best.params);
    st.m.set(best.m);
    st.v.set(best.v);
    st.optimT = best.optimT;
    if (best.step > n) for (let s = best.step; s > n; s--) applyStep(log, st, log.readStep(s), -1);
    else for (let s = best.step + 1; s <= n; s++) applyStep(log, st, log.readStep(s));
    const hash = stateHashOf(n, st.optimT, st.params, st.m, st.v);
    const expected = log.readStep(n).stateHash;
    if (hash !== expected) throw log.corrupt('step', n, `the state rebuilt from the one kept at step ${best.step} hashes to ${hash}, the log records ${expected}`);
    return { step: n, params: st.params, m: st.m, v: st.v, optimT: st.optimT, stateHash: hash };
  }

  private buffers(): WalkState {
    if (this.walk) return this.walk;
    const h = this.log.header;
    const kernels = kernelsFor(h.numericMode, undefined, 1);
    const n = paramTable(h).total;
    const alloc = (on: boolean): FloatArray => kernels.alloc(h.dtype, on ? n : 0);
    this.walk = { params: alloc(true), m: alloc(h.optimBuffers.m), v: alloc(h.optimBuffers.v), optimT: 0, grads: null, kernels };
    return this.walk;
  }
}
