import type { Anomaly, StepRecord, Trainer } from './trainer.ts';

export interface RunObserver {
  onStep(rec: StepRecord, trainer: Trainer): void;
}

export interface RunResult {
  reason: 'completed' | 'non-finite' | 'interrupted';
  stepsDone: number;
  anomaly: Anomaly | null;
}

/** Trains until `untilStep`, the first NaN/Inf or `shouldStop()`, handing every step to the observers in order. */
export function runTraining(trainer: Trainer, untilStep: number, observers: readonly RunObserver[], shouldStop: () => boolean = () => false): RunResult {
  while (trainer.stepsDone < untilStep) {
    if (shouldStop()) return { reason: 'interrupted', stepsDone: trainer.stepsDone, anomaly: null };
    const rec = trainer.step();
    for (const o of observers) o.onStep(rec, trainer);
    if (rec.anomaly) return { reason: 'non-finite', stepsDone: trainer.stepsDone, anomaly: rec.anomaly };
  }
  return { reason: 'completed', stepsDone: trainer.stepsDone, anomaly: null };
}
