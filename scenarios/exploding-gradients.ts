import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'exploding-gradients',
  description: 'No layer norm and SGD with a learning rate far too high (3): each update enlarges the next gradient until the numbers overflow.',
  config: {
    steps: 60,
    model: { layerNorm: false, initScheme: 'normal', initStd: 0.05 },
    optim: { kind: 'sgd', lr: 3 },
  },
  expectations: [
    {
      text: 'the global gradient norm grows more than 1000-fold, then the run stops on NaN/Inf',
      check: (r) => r.anomaly !== null && Math.max(...Array.from({ length: r.lastStep - 1 }, (_, i) => r.gradNorm(i + 1, 'global'))) > 1000 * r.gradNorm(1, 'global'),
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
