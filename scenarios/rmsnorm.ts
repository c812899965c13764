import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'rmsnorm',
  description: 'The baseline on the gpt-rms architecture: RMSNorm (a gain, no centring, no bias) in place of layer norm, and no biases anywhere — the norm LLaMA-style models use.',
  config: { steps: 60, model: { arch: 'gpt-rms', bias: false } },
  expectations: [
    { text: 'gpt-rms learns: the loss at the last step is below step 1’s', check: (r) => r.loss(r.lastStep) < r.loss(1) },
    {
      text: 'RMSNorm keeps the scales alike, as layer norm does: at step 1 the embeddings’ gradient norm is above a fifth of the head’s',
      check: (r) => r.gradNorm(1, 0) > 0.2 * r.gradNorm(1, 'head'),
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
