import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-residuals',
  description: 'The baseline without residual connections: the gradient must pass through every layer, and the early layers starve.',
  config: { steps: 60, model: { residual: false } },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
