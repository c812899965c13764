import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'baseline',
  description: 'The story\'s model (12 layers, Adam, residuals, layer norm, dropout 0.1) learning the story corpus.',
  // summary recording (≈ 21 MB instead of ≈ 130 MiB compact; see the README's table): a first run
  // is for looking at; keyframes every 20 steps keep any replay within 19 re-executed steps
  config: { steps: 60, record: { mode: 'summary', keyframeEvery: 20 } },
  expectations: [
    { text: 'the loss falls: lower at the last step than at step 1', check: (r) => r.loss(r.lastStep) < r.loss(1) },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);
