// Training speed without recording: steps/s for the tiny and fabric-bench configs, as JSON.
// Usage: npx tsx scripts/bench.ts [--steps-tiny N] [--steps-bench N]
import { parseArgs } from 'node:util';
import { Trainer } from '../src/engine/trainer.ts';
import { mergeConfig, TINY, validateConfig, type WeftConfig } from '../src/engine/config.ts';
import { loadScenario } from '../src/cli/scenarios.ts';

const { values } = parseArgs({ options: { 'steps-tiny': { type: 'string', default: '60' }, 'steps-bench': { type: 'string', default: '8' } } });

function measure(config: WeftConfig, steps: number): { stepsPerSec: number; msPerStep: number; params: number } {
  const t = new Trainer(config);
  t.step(); // warm-up: JIT compilation is not what we measure
  const t0 = performance.now(); // timing
  for (let i = 0; i < steps; i++) t.step();
  const s = (performance.now() - t0) / 1000; // timing
  return { stepsPerSec: steps / s, msPerStep: (1000 * s) / steps, params: t.model.table.total };
}

const bench = await loadScenario('bench');
const tiny = validateConfig(mergeConfig(bench.config, { model: TINY, steps: 1000 }));
const fabric = validateConfig({ ...bench.config, steps: 1000 });
const out = {
  node: process.version,
  tiny: measure(tiny, Number(values['steps-tiny'])),
  bench: measure(fabric, Number(values['steps-bench'])),
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
