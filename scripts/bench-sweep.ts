// Sweep throughput (issue goal: with 2 workers on 2 cores, 8 tiny runs in ≤ 0.6× the time of
// running them one after another): `weft sweep baseline --model tiny --seeds 1-8` with --jobs 1
// (one run at a time, each on a thread per core, as `weft run` by hand) against --jobs N (each
// run on one thread), in one process tree each, alternating, median of `--repeat`; at two run
// lengths (steps). Wall-clock times include each run's process start-up. Prints JSON.
// Usage: npx tsx scripts/bench-sweep.ts [--steps 60,300] [--repeat 3] [--jobs 2]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '60,300' }, repeat: { type: 'string', default: '3' }, jobs: { type: 'string', default: String(availableParallelism()) } } });
const bin = fileURLToPath(new URL('../bin/weft.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-sweep-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeSweep(steps: number, jobs: number, k: number): number {
  const out = join(dir, `s${steps}-j${jobs}-${k}`);
  const t0 = performance.now(); // timing
  const r = spawnSync(process.execPath, [bin, 'sweep', 'baseline', '--model', 'tiny', '--steps', String(steps), '--seeds', '1-8', '--jobs', String(jobs), '--out', out, '--quiet'], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`weft sweep exited ${r.status}: ${r.stderr}`);
  rmSync(out, { recursive: true, force: true });
  return ms;
}

const jobs = Number(values.jobs);
const results = values.steps!.split(',').map(Number).map((steps) => {
  const one: number[] = [];
  const many: number[] = [];
  for (let k = 0; k < Number(values.repeat); k++) {
    one.push(timeSweep(steps, 1, k));
    many.push(timeSweep(steps, jobs, k));
  }
  return { steps, runs: 8, oneAtATimeSec: +(median(one) / 1000).toFixed(2), parallelSec: +(median(many) / 1000).toFixed(2), ratio: +(median(many) / median(one)).toFixed(3), goal: 0.6 };
});
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ cores: availableParallelism(), jobs, results }, null, 2)}\n`);
