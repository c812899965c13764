import { kernelsFor } from '../kernels/registry.ts';
import type { FloatArray, Kernels } from '../kernels/types.ts';
import { decodeFloats } from '../log/codec.ts';
import { f64From } from '../log/format.ts';
import type { LogReader } from '../log/reader.ts';
import type { StepRecordBody } from '../log/records.ts';
import { optimizerStep, type OptimState } from '../optim/optimizer.ts';
import { stateAt } from './state.ts';

/**
 * Walks a log's states forwards one step at a time, holding one state (not the whole log):
 * full logs apply recorded differences, compact logs apply the optimizer to recorded
 * gradients; summary logs have no arrays between keyframes (`params` is null there).
 */
export class StateWalker {
  readonly log: LogReader;
  step: number;
  params: FloatArray | null = null;
  m: FloatArray | null = null;
  v: FloatArray | null = null;
  /** the last step's decoded gradient (compact logs), else null */
  grads: FloatArray | null = null;
  private readonly opt: OptimState | null = null;
  /** the log's numeric mode's kernels, which compact logs replay the optimizer with */
  private readonly kernels: Kernels | null = null;

  constructor(log: LogReader) {
    this.log = log;
    this.step = log.header.startStep;
    if (log.header.mode === 'summary') return;
    const s = stateAt(log, this.step);
    this.params = s.params;
    this.m = s.m;
    this.v = s.v;
    if (log.header.mode === 'compact') {
      this.kernels = kernelsFor(log.header.numericMode, undefined, 1);
      const own = (a: FloatArray) => {
        const b = this.kernels!.alloc(log.header.dtype, a.length);
        b.set(a);
        return b;
      };
      [this.params, this.m, this.v] = [own(s.params), own(s.m), own(s.v)];
      this.opt = { t: s.optimT, m: this.m, v: this.v };
      this.grads = this.kernels.alloc(log.header.dtype, s.params.length);
    }
  }

  get hasArrays(): boolean {
    return this.params !== null;
  }

  /** Applies step `this.step + 1`, whose record is given. */
  advance(r: StepRecordBody): void {
    const h = this.log.header;
    if (r.step !== this.step + 1) throw new RangeError(`walker at step ${this.step} cannot apply step ${r.step}`);
    this.step = r.step;
    if (!this.params) return;
    try {
      if (h.mode === 'full') {
        decodeFloats(r.params!, this.params, this.params, 1);
        decodeFloats(r.m!, this.m!, this.m!, 1);
        decodeFloats(r.v!, this.v!, this.v!, 1);
      } else {
        decodeFloats(r.grads!, this.grads!, null);
        optimizerStep(h.config.optim, f64From(r.lr), this.params, this.grads!, this.opt!, this.kernels!);
      }
    } catch (e) {
      throw this.log.corrupt('step', r.step, (e as Error).message);
    }
  }
}
