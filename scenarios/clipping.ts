import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'clipping',
  description: 'exploding-gradients with global-norm clipping at 1.0 ("steady your helm"): every update stays bounded.',
  config: {
    steps: 60,
    model: { layerNorm: false, initScheme: 'normal', initStd: 0.05 },
    optim: { kind: 'sgd', lr: 3 },
    clip: { maxNorm: 1 },
  },
  expectations: [
    {
      text: 'every update stays within clip.maxNorm = 1 and the run stays finite',
      check: (r) => r.anomaly === null && Array.from({ length: r.lastStep }, (_, i) => r.gradNorm(i + 1, 'global') * r.clipFactor(i + 1)).every((n) => n <= 1 + 1e-9),
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
