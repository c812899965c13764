import { defineScenario, runIfMain } from '../src/index.ts';
import baseline from './baseline.ts';

// baseline in the f32acc numeric mode (float32 accumulation): its golden holds that mode's bits, as
// baseline's holds f64acc's; the same lesson must show in both modes
const scenario = defineScenario({
  name: 'baseline-f32acc',
  description: `${baseline.description} In the f32acc numeric mode.`,
  config: { ...baseline.config, numeric: 'f32acc' },
  expectations: baseline.expectations,
});

export default scenario;
await runIfMain(import.meta.url, scenario);
