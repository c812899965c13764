import { cosPi } from '../math/elementary.ts';

export interface ScheduleConfig {
  kind: 'constant' | 'cosine';
  warmupSteps: number;
  /** Final learning rate of the cosine decay, as a fraction of the peak lr. */
  minLrRatio: number;
}

/**
 * Learning rate of step t (1-based). Both kinds warm up linearly over `warmupSteps`
 * (lr·t/warmup); `cosine` then decays to lr·minLrRatio at the last step.
 */
export function lrAt(s: ScheduleConfig, lr: number, t: number, totalSteps: number): number {
  if (t <= s.warmupSteps) return (lr * t) / s.warmupSteps;
  if (s.kind === 'constant') return lr;
  const span = totalSteps - s.warmupSteps;
  const progress = span <= 0 ? 1 : Math.min(1, (t - s.warmupSteps) / span);
  const minLr = lr * s.minLrRatio;
  return minLr + 0.5 * (lr - minLr) * (1 + cosPi(progress));
}
