import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-residuals',
  description: 'The baseline without residual connections: the gradient must pass through every layer, and the early layers starve.',
  config: { steps: 60, model: { residual: false } },
  expectations: [
    { text: 'the first layer starves: its gradient norm ends below a tenth of the last layer’s', check: (r) => r.gradNorm(r.lastStep, 1) < 0.1 * r.gradNorm(r.lastStep, 'last') },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
