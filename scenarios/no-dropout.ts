import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-dropout',
  description: 'The baseline without dropout: no masks, a deterministic forward pass, and a model free to memorize.',
  config: { steps: 60, model: { dropout: 0 } },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
