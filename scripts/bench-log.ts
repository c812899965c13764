// Flight-recorder costs on fabric-bench: bytes per step (and per raw float32 parameter array),
// codec MB/s, and training steps/s with recording on versus off. Prints JSON.
// Usage: npx tsx scripts/bench-log.ts [--steps N]   (default 100)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Trainer } from '../src/engine/trainer.ts';
import { runTraining } from '../src/engine/run.ts';
import { validateConfig, type RecordMode, type WeftConfig } from '../src/config/config.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { Recorder } from '../src/engine/recorder.ts';
import { THREAD_ELEMENTS_MIN } from '../src/engine/record-thread.ts';
import { openLog } from '../src/log/reader.ts';
import { decodeFloats, encodeFloats } from '../src/log/codec.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '100' } } });
const steps = Number(values.steps);
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-log-'));
const bench = await loadScenario('bench');
// the default keyframe interval (DEFAULT_CONFIG.record.keyframeEvery): what a user's log holds
const cfg = (mode: RecordMode): WeftConfig => validateConfig({ ...bench.config, steps, record: { ...bench.config.record, mode } });

function timed(f: () => void): number {
  const t0 = performance.now(); // timing
  f();
  return (performance.now() - t0) / 1000; // timing
}

function trainRun(mode: RecordMode | null) {
  const c = cfg(mode ?? 'full');
  const t = new Trainer(c);
  t.step(); // warm-up (JIT), not measured
  const path = join(dir, `${mode}.weft`);
  // a large model's log on its recording thread from the first timed step, as a long run has it
  const rec = mode ? Recorder.create(path, 'bench', c, t, { overwrite: true, thread: t.table.total >= THREAD_ELEMENTS_MIN ? true : undefined }) : null;
  // what a recording thread still has to write, inside the time
  const s = timed(() => {
    runTraining(t, steps, rec ? [rec] : []);
    rec?.writer.flush();
  });
  if (rec) rec.finish({ reason: 'completed', stepsDone: t.stepsDone, anomaly: null }, t);
  return { stepsPerSec: (steps - 1) / s, path, trainer: t };
}

const off = trainRun(null);
const out: Record<string, unknown> = { node: process.version, steps, parameters: off.trainer.model.table.total, stepsPerSecNoRecording: off.stepsPerSec };
const raw = off.trainer.model.table.total * 4;
for (const mode of ['full', 'compact'] as const) {
  const r = trainRun(mode);
  const log = openLog(r.path);
  const stepRecs = log.stepNumbers.map((n) => log.readStep(n));
  const arrays = (k: 'params' | 'm' | 'v' | 'grads') => stepRecs.reduce((s, x) => s + (x[k]?.length ?? 0), 0) / stepRecs.length / raw;
  const bytesPerStep = statSync(r.path).size / steps;
  out[mode] = {
    bytesPerStep: Math.round(bytesPerStep),
    // the whole file (header, keyframes at 0, every keyframeEvery and the end, index) per step
    rawArrayEquivalentsPerStep: bytesPerStep / raw,
    // the size goal's measure (issue 9): how much a log of 60 steps outgrows one of 20, keyframes
    // between them included, per step and raw parameter array (from the frame offsets)
    wholeFileGrowthPerStep60vs20: steps >= 60 ? (log.offsetOf('step', 60) - log.offsetOf('step', 20)) / 40 / raw : null,
    // the step records' arrays alone (keyframes excluded), per raw parameter array
    arraysPerStep: mode === 'full' ? arrays('params') + arrays('m') + arrays('v') : arrays('grads'),
    perArray: mode === 'full' ? { weightsDelta: arrays('params'), m: arrays('m'), v: arrays('v') } : { grads: arrays('grads') },
    stepsPerSec: r.stepsPerSec,
    recordingCostOfStepTime: off.stepsPerSec / r.stepsPerSec - 1,
  };
  log.close();
}
// codec throughput on the last state, as a difference from a perturbed copy (a typical step)
const p = off.trainer.params as Float32Array;
const prev = p.map((x, i) => (i % 3 ? x : x * (1 + 1e-4)));
let enc: Uint8Array = new Uint8Array();
const reps = 5;
const encS = timed(() => { for (let i = 0; i < reps; i++) enc = encodeFloats(p, prev); });
const outArr = new Float32Array(p.length);
const decS = timed(() => { for (let i = 0; i < reps; i++) decodeFloats(enc, outArr, prev); });
out.codec = { encodeMBPerSec: (reps * raw) / 1e6 / encS, decodeMBPerSec: (reps * raw) / 1e6 / decS };
out.goals = { fullMax: 2.0, compactMax: 0.9, recordingCostMax: 0.25 };
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
rmSync(dir, { recursive: true, force: true });
