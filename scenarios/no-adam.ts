import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-adam',
  description: 'The baseline with plain SGD (lr 0.1) instead of Adam: no momentum, no per-weight step sizes.',
  config: { steps: 60, optim: { kind: 'sgd', lr: 0.1 } },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
