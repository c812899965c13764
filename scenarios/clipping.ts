import { defineScenario, runIfMain } from '../src/index.ts';
import exploding from './exploding-gradients.ts';

// exploding-gradients, with one thing changed: global-norm clipping. At maxNorm 0.1 every update
// is at most lr × 0.1 = 0.3 long, so the learning rate that overflows without clipping now trains.
// (At maxNorm 1 the updates are still 3 long: the loss spikes and ends higher than it started.)
const MAX_NORM = 0.1;

const scenario = defineScenario({
  name: 'clipping',
  description: 'exploding-gradients with global-norm clipping at 0.1 ("steady your helm"): the same learning rate of 3 now trains, and the loss falls where it overflowed.',
  config: { ...exploding.config, clip: { maxNorm: MAX_NORM } },
  expectations: [
    {
      text: 'every update stays within clip.maxNorm = 0.1 and the run stays finite',
      check: (r) => r.anomaly === null && Array.from({ length: r.lastStep }, (_, i) => r.gradNorm(i + 1, 'global') * r.clipFactor(i + 1)).every((n) => n <= MAX_NORM * (1 + 1e-9)),
    },
    {
      text: 'the loss falls: no step is above step 1’s, and the last is at least 0.5 below it',
      check: (r) => Array.from({ length: r.lastStep }, (_, i) => r.loss(i + 1)).every((l) => l <= r.loss(1)) && r.loss(r.lastStep) < r.loss(1) - 0.5,
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
