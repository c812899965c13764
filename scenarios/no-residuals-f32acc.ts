import { defineScenario, runIfMain } from '../src/index.ts';
import noResiduals from './no-residuals.ts';

// no-residuals in the f32acc numeric mode (float32 accumulation): its golden holds that mode's bits, as
// no-residuals's holds f64acc's; the same lesson must show in both modes
const scenario = defineScenario({
  name: 'no-residuals-f32acc',
  description: `${noResiduals.description} In the f32acc numeric mode.`,
  config: { ...noResiduals.config, numeric: 'f32acc' },
  expectations: noResiduals.expectations,
});

export default scenario;
await runIfMain(import.meta.url, scenario);
