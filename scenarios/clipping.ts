import { defineScenario, runIfMain } from '../src/index.ts';
import exploding from './exploding-gradients.ts';

// exploding-gradients, with one thing changed: global-norm clipping on
const scenario = defineScenario({
  name: 'clipping',
  description: 'exploding-gradients with global-norm clipping at 1.0 ("steady your helm"): every update stays bounded.',
  config: { ...exploding.config, clip: { maxNorm: 1 } },
  expectations: [
    {
      text: 'every update stays within clip.maxNorm = 1 and the run stays finite',
      check: (r) => r.anomaly === null && Array.from({ length: r.lastStep }, (_, i) => r.gradNorm(i + 1, 'global') * r.clipFactor(i + 1)).every((n) => n <= 1 + 1e-9),
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
