// The Python reader's speed: wall time of `python3 python/weft_read.py LOG --json` (every step's
// scalars and decoded arrays' hashes, the whole log checked) on a full log of the tiny model, every
// step recorded, about 60 MB. Prints JSON.
// Usage: npx tsx scripts/bench-python-reader.ts [--steps 240] [--runs 3] [--python /usr/bin/python3]
//        [--script python/weft_read.py]   (another reader to compare: same output, its time)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mergeConfig, TINY, validateConfig } from '../src/config/config.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { runTraining } from '../src/engine/run.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { Recorder } from '../src/engine/recorder.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '240' },
    runs: { type: 'string', default: '3' },
    python: { type: 'string', default: '/usr/bin/python3' },
    script: { type: 'string', default: join(ROOT, 'python/weft_read.py') },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-python-'));
const path = join(dir, 'tiny-full.weft');
// as `weft run baseline --model tiny --steps N --record full`
const baseline = await loadScenario('baseline');
const cfg = validateConfig(mergeConfig(baseline.config, { model: TINY, steps: Number(values.steps), record: { mode: 'full' } }));
const trainer = new Trainer(cfg);
const recorder = Recorder.create(path, 'baseline', cfg, trainer);
recorder.finish(runTraining(trainer, cfg.steps, [recorder]), trainer);

const seconds: number[] = [];
let output = '';
for (let i = 0; i < Number(values.runs); i++) {
  const t0 = performance.now(); // timing
  const r = spawnSync(values.python!, [values.script!, path, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  seconds.push((performance.now() - t0) / 1000); // timing
  if (r.status !== 0) throw new Error(`${values.script} exited ${r.status}: ${r.stderr}`);
  output = r.stdout;
}
const steps = (JSON.parse(output) as { steps: unknown[] }).steps.length;
if (steps !== cfg.steps) throw new Error(`the reader returned ${steps} steps of ${cfg.steps}`);
const sorted = [...seconds].sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({
  python: values.python, script: values.script, logMB: statSync(path).size / 1e6, steps, keyframeEvery: cfg.record.keyframeEvery,
  runs: seconds.length, secondsMedian: sorted[Math.floor(sorted.length / 2)], secondsMin: sorted[0], seconds, goalSeconds: 10,
}, null, 2)}\n`);
rmSync(dir, { recursive: true, force: true });
