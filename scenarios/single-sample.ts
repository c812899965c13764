import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'single-sample',
  description: 'The baseline with batch size 1: every step follows one window of text, so the gradient is noisy.',
  config: { steps: 60, data: { batchSize: 1 } },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
