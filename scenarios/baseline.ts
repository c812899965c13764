import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'baseline',
  description: 'The story\'s model (12 layers, Adam, residuals, layer norm, dropout 0.1) learning the story corpus.',
  config: { steps: 60 },
});

export default scenario;
await runIfMain(import.meta.url, scenario);
