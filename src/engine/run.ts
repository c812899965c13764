import type { Anomaly, StepRecord, Trainer } from './trainer.ts';

export interface RunObserver {
  onStep(rec: StepRecord, trainer: Trainer): void;
}

export interface RunResult {
  reason: 'completed' | 'non-finite' | 'interrupted';
  stepsDone: number;
  anomaly: Anomaly | null;
}

/** One step handed to the observers in order; a result when the run must stop on NaN/Inf. */
function stepOnce(trainer: Trainer, observers: readonly RunObserver[]): RunResult | null {
  const rec = trainer.step();
  for (const o of observers) o.onStep(rec, trainer);
  return rec.anomaly ? { reason: 'non-finite', stepsDone: trainer.stepsDone, anomaly: rec.anomaly } : null;
}

/** Trains until `untilStep`, the first NaN/Inf or `shouldStop()`, handing every step to the observers in order. */
export function runTraining(trainer: Trainer, untilStep: number, observers: readonly RunObserver[], shouldStop: () => boolean = () => false): RunResult {
  while (trainer.stepsDone < untilStep) {
    if (shouldStop()) return { reason: 'interrupted', stepsDone: trainer.stepsDone, anomaly: null };
    const stopped = stepOnce(trainer, observers);
    if (stopped) return stopped;
  }
  return { reason: 'completed', stepsDone: trainer.stepsDone, anomaly: null };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * As runTraining, but yields to the event loop between steps, so that signal handlers (Ctrl-C)
 * and timers run while training: `shouldStop` can then become true within one step's time.
 */
export async function runTrainingAsync(trainer: Trainer, untilStep: number, observers: readonly RunObserver[], shouldStop: () => boolean = () => false): Promise<RunResult> {
  while (trainer.stepsDone < untilStep) {
    await yieldToEventLoop();
    if (shouldStop()) return { reason: 'interrupted', stepsDone: trainer.stepsDone, anomaly: null };
    const stopped = stepOnce(trainer, observers);
    if (stopped) return stopped;
  }
  return { reason: 'completed', stepsDone: trainer.stepsDone, anomaly: null };
}
