/**
 * Progress on a terminal: one line redrawn in place (bar, step, loss, steps/s, time left);
 * elsewhere a plain line about every 5% of the run. Wall-clock time is used for display only
 * (timing), never logged.
 */
export class Progress {
  private readonly total: number;
  private readonly tty: boolean;
  private readonly out: NodeJS.WriteStream;
  private readonly t0 = performance.now(); // timing: display only
  private lastDraw = 0;
  private lastPlainStep = 0;
  private readonly quiet: boolean;

  /** `total`: the last step; the run starts after step `startStep` (resume, fork). */
  constructor(total: number, quiet: boolean, out: NodeJS.WriteStream = process.stderr, startStep = 0) {
    this.total = total;
    this.lastPlainStep = startStep;
    this.out = out;
    this.tty = Boolean(out.isTTY);
    this.quiet = quiet;
  }

  stepsPerSec(done: number): number {
    const s = (performance.now() - this.t0) / 1000; // timing
    return s > 0 ? done / s : 0;
  }

  /** `loss` is shown when given (verify re-executes without showing one), and the latest held-out loss when the run evaluates. */
  update(step: number, firstStep: number, loss?: number, heldOut?: { step: number; loss: number }): void {
    if (this.quiet) return;
    const done = step - firstStep + 1;
    const rate = this.stepsPerSec(done);
    const left = rate > 0 && step < this.total ? `  ${fmtDuration((this.total - step) / rate)} left` : '';
    const held = heldOut ? `  held-out ${fmtLoss(heldOut.loss)}${heldOut.step === step ? '' : ` (step ${heldOut.step})`}` : '';
    const text = `step ${step}/${this.total}${loss === undefined ? '' : `  loss ${fmtLoss(loss)}`}${held}  ${rate.toFixed(2)} steps/s${left}`;
    if (this.tty) {
      const now = performance.now(); // timing
      if (now - this.lastDraw < 100 && step !== this.total) return;
      this.lastDraw = now;
      const width = 24;
      const filled = Math.round((width * step) / Math.max(1, this.total));
      this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
    } else {
      const every = Math.max(1, Math.round(this.total / 20));
      if (step === this.total || step - this.lastPlainStep >= every || step === firstStep) {
        this.lastPlainStep = step;
        this.out.write(`${text}\n`);
      }
    }
  }

  done(): void {
    if (!this.quiet && this.tty) this.out.write('\n');
  }
}

export function fmtLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

/** 42 s, 3 min 05 s, 2 h 10 min: for a time left. */
export function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
