import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'vanishing-gradients',
  description: 'No residuals, no layer norm, tanh activations and small weights: the gradient fades layer by layer on its way back.',
  config: {
    steps: 60,
    model: { residual: false, layerNorm: false, activation: 'tanh', initScheme: 'normal', initStd: 0.02 },
  },
  expectations: [
    { text: 'the gradient fades on its way back: at step 1 layer 1’s norm is below 1% of the last layer’s', check: (r) => r.gradNorm(1, 1) < 0.01 * r.gradNorm(1, 'last') },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
