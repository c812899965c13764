import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-layernorm',
  description: 'The baseline without layer normalization: activations and gradients drift in scale from layer to layer.',
  config: { steps: 60, model: { layerNorm: false } },
  expectations: [
    {
      text: 'scales drift without layer norm: at step 1 the embeddings’ gradient norm is below a fifth of the head’s (with it, they are alike)',
      check: (r) => r.gradNorm(1, 0) < 0.2 * r.gradNorm(1, 'head'),
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
