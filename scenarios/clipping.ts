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
});

export default scenario;
await runIfMain(import.meta.url, scenario);
