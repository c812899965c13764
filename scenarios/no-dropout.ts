import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-dropout',
  description: 'The baseline without dropout: no masks, a deterministic forward pass, and a model free to memorize.',
  config: { steps: 60, model: { dropout: 0 } },
  expectations: [
    { text: 'no dropout masks at any step', check: (r) => Array.from({ length: r.lastStep }, (_, i) => r.maskKeptFraction(i + 1)).every((k) => k === null) },
    { text: 'the loss falls: lower at the last step than at step 1', check: (r) => r.loss(r.lastStep) < r.loss(1) },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
