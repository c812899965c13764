import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'vanishing-gradients',
  description: 'No residuals, no layer norm, tanh activations and small weights: the gradient fades layer by layer on its way back.',
  config: {
    steps: 60,
    model: { residual: false, layerNorm: false, activation: 'tanh', initScheme: 'normal', initStd: 0.02 },
  },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
