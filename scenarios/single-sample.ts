import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'single-sample',
  description: 'The baseline with batch size 1: every step follows one window of text, so the gradient is noisy.',
  config: { steps: 60, data: { batchSize: 1 } },
  expectations: [
    {
      text: 'one window per step makes a noisy gradient: the loss rises from one step to the next on at least 5 steps',
      check: (r) => Array.from({ length: r.lastStep - 1 }, (_, i) => r.loss(i + 2) > r.loss(i + 1)).filter(Boolean).length >= 5,
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
