// Replay speed: median milliseconds of stateAt at random N on a tiny log (1000 steps) and a
// fabric-bench log (100 steps), versus re-executing training to N. Prints JSON.
// Re-execution time is measured per step on the same config and scaled to N (a training step
// costs the same at every N), plus the model's construction.
// Reports the speedup at the median N (re-execution to the median N over the median stateAt time)
// and the median of per-sample speedups.
// Usage: npx tsx scripts/bench-replay.ts [--tiny-steps 1000] [--bench-steps 100] [--modes full,compact] [--samples 41] [--only tiny|bench]
// (scripts/bench.ts measures the compact fabric-bench figure with replaySpeed for issue 24's goal)
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Trainer } from '../src/engine/trainer.ts';
import { runTraining } from '../src/engine/run.ts';
import { mergeConfig, TINY, validateConfig, type RecordMode, type WeftConfig } from '../src/config/config.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { Recorder } from '../src/engine/recorder.ts';
import { openLog } from '../src/log/reader.ts';
import { stateAt } from '../src/replay/state.ts';
import { keyedStream } from '../src/rng/keyed.ts';
import { useThreads } from '../src/kernels/registry.ts';

const now = () => performance.now(); // timing
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function reexecMsPerStep(cfg: WeftConfig, steps: number): { initMs: number; msPerStep: number } {
  const t0 = now();
  const t = new Trainer(cfg);
  const initMs = now() - t0;
  t.step();
  const t1 = now();
  for (let i = 0; i < steps; i++) t.step();
  return { initMs, msPerStep: (now() - t1) / steps };
}

/**
 * Replay against re-execution on a log of `cfg` in `mode` (written to `dir`): stateAt at
 * `samples` random N, as the CLI runs it (fast kernels and decoding on a thread per core).
 */
export function replaySpeed(dir: string, name: string, cfg: WeftConfig, mode: RecordMode, samples: number) {
  useThreads(availableParallelism());
  const c = validateConfig(mergeConfig(cfg, { record: { mode } }));
  const path = join(dir, `${name}-${mode}.weft`);
  const t = new Trainer(c);
  const rec = Recorder.create(path, name, c, t, { overwrite: true });
  const result = runTraining(t, c.steps, [rec]);
  rec.finish(result, t);
  const log = openLog(path);
  const r = keyedStream(1, 'bench/replay', name, mode);
  const ns = Array.from({ length: samples }, () => r.int(c.steps + 1));
  const ms = ns.map((n) => {
    const t0 = now();
    stateAt(log, n);
    return now() - t0;
  });
  log.close();
  const re = reexecMsPerStep(c, Math.min(20, c.steps));
  const reexec = (n: number) => re.initMs + n * re.msPerStep;
  const nMedian = median(ns);
  const stateAtMs = median(ms);
  return {
    steps: c.steps, keyframeEvery: c.record.keyframeEvery, samples: ns.length, medianN: nMedian,
    stateAtMsMedian: stateAtMs, reexecuteToMedianNMs: reexec(nMedian), speedup: reexec(nMedian) / stateAtMs,
    medianOfSpeedups: median(ns.map((n, i) => reexec(n) / ms[i])),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { 'tiny-steps': { type: 'string', default: '1000' }, 'bench-steps': { type: 'string', default: '100' }, modes: { type: 'string', default: 'full,compact' }, samples: { type: 'string', default: '41' }, only: { type: 'string' } } });
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-replay-'));
  const bench = await loadScenario('bench');
  const samples = Number(values.samples);
  const out: Record<string, unknown> = { node: process.version, goalSpeedup: 10 };
  const tiny = validateConfig(mergeConfig(bench.config, { model: TINY, steps: Number(values['tiny-steps']) }));
  const fabric = validateConfig({ ...bench.config, steps: Number(values['bench-steps']) });
  for (const mode of String(values.modes).split(',') as RecordMode[]) {
    if (values.only !== 'bench') out[`tiny-${mode}`] = replaySpeed(dir, 'tiny', tiny, mode, samples);
    if (values.only !== 'tiny') out[`bench-${mode}`] = replaySpeed(dir, 'bench', fabric, mode, samples);
    process.stderr.write(`${mode} done\n`);
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
}
