import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-adam',
  description: 'The baseline with plain SGD (lr 0.1) instead of Adam: no momentum, no per-weight step sizes.',
  config: { steps: 60, optim: { kind: 'sgd', lr: 0.1 } },
  expectations: [
    { text: 'plain SGD still learns: the loss at the last step is below step 1’s', check: (r) => r.loss(r.lastStep) < r.loss(1) },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
