import type { FloatArray } from '../kernels/types.ts';
import type { LogReader } from '../log/reader.ts';
import type { StepRecordBody } from '../log/records.ts';
import { stateAt } from './state.ts';
import { applyStep, type WalkState } from './step.ts';

/**
 * Walks a log's states forwards one step at a time, holding one state (not the whole log), by
 * applyStep; summary logs have no arrays between keyframes (`params` is null there).
 */
export class StateWalker {
  readonly log: LogReader;
  step: number;
  private readonly state: WalkState | null = null;

  constructor(log: LogReader) {
    this.log = log;
    this.step = log.header.startStep;
    if (log.header.mode === 'summary') return;
    const s = stateAt(log, this.step);
    this.state = { params: s.params, m: s.m, v: s.v, optimT: s.optimT, grads: null, kernels: s.kernels };
  }

  get params(): FloatArray | null {
    return this.state?.params ?? null;
  }
  get m(): FloatArray | null {
    return this.state?.m ?? null;
  }
  get v(): FloatArray | null {
    return this.state?.v ?? null;
  }
  /** the optimizer's update count (0 for a summary log between keyframes) */
  get optimT(): number {
    return this.state?.optimT ?? 0;
  }
  /** the last step's decoded gradient (compact logs), else null */
  get grads(): FloatArray | null {
    return this.state?.grads ?? null;
  }

  get hasArrays(): boolean {
    return this.state !== null;
  }

  /** Applies step `this.step + 1`, whose record is given. */
  advance(r: StepRecordBody): void {
    if (r.step !== this.step + 1) throw new RangeError(`walker at step ${this.step} cannot apply step ${r.step}`);
    this.step = r.step;
    if (this.state) applyStep(this.log, this.state, r);
  }
}
