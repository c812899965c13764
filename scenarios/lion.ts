import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'lion',
  description: 'The baseline with Lion (β 0.9/0.99) instead of Adam, at the same learning rate: every weight moves by exactly lr each step, the way the sign of its momentum points — no per-weight step sizes, one buffer instead of two.',
  config: { steps: 60, optim: { kind: 'lion', lr: 1e-3, beta1: 0.9, beta2: 0.99 } },
  expectations: [
    { text: 'Lion learns: the loss at the last step is below step 1’s', check: (r) => r.loss(r.lastStep) < r.loss(1) },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
