// Resident memory over a long recorded run: fabric-bench with full recording (every step's Δw,
// m and v) for 1,000 steps, RSS sampled every 50 steps after a GC where one can be forced.
// The goal (issue 10): flat — no per-step allocation that is kept. Prints JSON.
// Usage: npx tsx scripts/bench-memory.ts [--steps N] [--threads N]   (node --expose-gc for exact samples)
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validateConfig } from '../src/config/config.ts';
import { runTraining } from '../src/engine/run.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { Recorder } from '../src/engine/recorder.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '1000' }, threads: { type: 'string', default: String(availableParallelism()) } } });
const steps = Number(values.steps);
const every = 50;
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-memory-'));
const bench = await loadScenario('bench');
const config = validateConfig({ ...bench.config, steps, record: { ...bench.config.record, mode: 'full' } });
const trainer = new Trainer(config, { threads: Number(values.threads) });
const recorder = Recorder.create(join(dir, 'memory.weft'), 'bench', config, trainer);
const gc = (globalThis as { gc?: () => void }).gc;
const MiB = 1024 * 1024;
const samples: { step: number; rssMiB: number; heapUsedMiB: number; externalMiB: number }[] = [];
const sample = () => {
  gc?.();
  const m = process.memoryUsage();
  samples.push({ step: trainer.stepsDone, rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB, externalMiB: (m.external + m.arrayBuffers) / MiB });
  process.stderr.write(`\rstep ${trainer.stepsDone}/${steps}, RSS ${Math.round(m.rss / MiB)} MiB`);
};
sample();
let result = runTraining(trainer, 0, []);
while (trainer.stepsDone < steps && result.reason === 'completed') {
  result = runTraining(trainer, Math.min(steps, trainer.stepsDone + every), [recorder]);
  sample();
}
recorder.finish(result, trainer);
process.stderr.write('\n');
rmSync(dir, { recursive: true, force: true });
// after warm-up (the first 100 steps allocate the kernels' scratch, the codec's memory and the
// JIT's code), resident memory should stay flat: the late half's peak against the early half's
const warm = samples.filter((s) => s.step >= 100);
const half = warm[Math.floor(warm.length / 2)].step;
const peak = (from: number, to: number) => Math.max(...warm.filter((s) => s.step >= from && s.step <= to).map((s) => s.rssMiB));
const rss = { atStep100: warm[0].rssMiB, peakEarlyHalf: peak(100, half), peakLateHalf: peak(half + 1, steps), final: samples.at(-1)!.rssMiB };
process.stdout.write(`${JSON.stringify({ steps, threads: Number(values.threads), gcForced: Boolean(gc), rssMiB: rss, lateOverEarlyPeak: rss.peakLateHalf / rss.peakEarlyHalf, samples }, null, 2)}\n`);
