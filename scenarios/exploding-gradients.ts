import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'exploding-gradients',
  description: 'No layer norm and SGD with a learning rate far too high (3): each update enlarges the next gradient until the numbers overflow.',
  config: {
    steps: 60,
    model: { layerNorm: false, initScheme: 'normal', initStd: 0.05 },
    optim: { kind: 'sgd', lr: 3 },
  },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
