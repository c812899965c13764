import { defineScenario, runIfMain } from '../src/index.ts';
import explodingGradients from './exploding-gradients.ts';

// exploding-gradients in the f32acc numeric mode (float32 accumulation): its golden holds that mode's bits, as
// exploding-gradients's holds f64acc's; the same lesson must show in both modes
const scenario = defineScenario({
  name: 'exploding-gradients-f32acc',
  description: `${explodingGradients.description} In the f32acc numeric mode.`,
  config: { ...explodingGradients.config, numeric: 'f32acc' },
  expectations: explodingGradients.expectations,
});

export default scenario;
await runIfMain(import.meta.url, scenario);
