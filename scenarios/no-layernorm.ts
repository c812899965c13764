import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'no-layernorm',
  description: 'The baseline without layer normalization: activations and gradients drift in scale from layer to layer.',
  config: { steps: 60, model: { layerNorm: false } },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
