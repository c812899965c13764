import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfig, validateConfig, type DeepPartial, type WeftConfig, DEFAULT_CONFIG } from '../../src/config/config.ts';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { Recorder } from '../../src/engine/recorder.ts';
import { ROOT } from '../helpers.ts';
import { openLog } from '../../src/log/reader.ts';
import { startResume } from '../../src/replay/fork.ts';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'weft-test-'));
}

/** A very small model, so logs stay a few kilobytes (fuzzing reads them thousands of times). */
export const MICRO: DeepPartial<WeftConfig> = {
  model: { nLayers: 1, nHeads: 2, dModel: 8, dFF: 16, vocabSize: 16, contextLength: 4 },
  data: { corpus: 'random', batchSize: 2, randomTokens: 512 },
};

export function config(over: DeepPartial<WeftConfig>): WeftConfig {
  return validateConfig(mergeConfig(DEFAULT_CONFIG, over));
}

/**
 * Trains and records `c` as scenario `scenario`, stopped after step `stopAfter` when given (the
 * log of a run interrupted there); `prepare` runs on the trainer before the first step.
 */
export function recordStopped(path: string, c: WeftConfig, scenario: string, stopAfter?: number, prepare?: (t: Trainer) => void): void {
  const t = new Trainer(c);
  prepare?.(t);
  const rec = Recorder.create(path, scenario, c, t, { overwrite: true });
  rec.finish(runTraining(t, c.steps, [rec], () => stopAfter !== undefined && t.stepsDone >= stopAfter), t);
}

/**
 * The run of `c` stopped after each of `stops` and resumed from its log (startResume): the stops
 * whose resumed log differs from the uninterrupted run's by any byte (none, when resume is exact).
 */
export function resumedLogsDiffering(dir: string, c: WeftConfig, scenario: string, stops: readonly number[]): number[] {
  const whole = join(dir, 'whole.weft');
  recordStopped(whole, c, scenario);
  return stops.filter((stop) => {
    const part = join(dir, `part-${stop}.weft`);
    recordStopped(part, c, scenario, stop);
    const log = openLog(part);
    const { trainer, recorder } = startResume(log);
    log.close();
    recorder.finish(runTraining(trainer, c.steps, [recorder]), trainer);
    return !readFileSync(part).equals(readFileSync(whole));
  });
}

/** Trains and records; returns the state hash after every step (index = step). */
export function recordRun(path: string, cfg: WeftConfig): { hashes: string[]; params: Float32Array[] } {
  const t = new Trainer(cfg);
  const hashes = [t.stateHash()];
  const params = [Float32Array.from(t.params as Float32Array)];
  const rec = Recorder.create(path, 'test', cfg, t);
  const result = runTraining(t, cfg.steps, [rec, { onStep: (r) => { hashes.push(r.stateHash); params.push(Float32Array.from(t.params as Float32Array)); } }]);
  rec.finish(result, t);
  return { hashes, params };
}

/**
 * Records a run in which one parameter element is nudged by one ulp right after step `k`'s
 * update (before the recorder sees it): a log that is self-consistent from k on, and differs
 * from the original run first at step k, in `tensor`[index].
 */
export function recordTwin(path: string, cfg: WeftConfig, k: number, tensor: string, index: number): void {
  const t = new Trainer(cfg);
  const info = t.model.table.byName.get(tensor);
  if (!info) throw new Error(`no tensor ${tensor}`);
  const rec = Recorder.create(path, 'twin', cfg, t);
  const nudge = {
    onStep: (r: { step: number; stateHash: string }) => {
      if (r.step !== k) return;
      const i = info.offset + index;
      const bits = new Uint32Array(new Float32Array([t.params[i]]).buffer);
      bits[0] += 1;
      t.params[i] = new Float32Array(bits.buffer)[0];
      r.stateHash = t.stateHash(); // the twin's own record stays consistent
    },
  };
  const result = runTraining(t, cfg.steps, [nudge, rec]);
  rec.finish(result, t);
}

export const PYTHON = '/usr/bin/python3';

/** Whether python/weft_read.py can run here (python3 with numpy and msgpack). */
export const pythonReaderAvailable = spawnSync(PYTHON, ['-c', 'import numpy, msgpack'], { encoding: 'utf8' }).status === 0;

export interface PythonRead {
  /** weft_read's exit code (3: corrupt), or 'crash' for an exception it let escape */
  code: number | 'crash';
  stdout: string;
  stderr: string;
}

/**
 * `weft_read.py LOG --json` of every file, in one Python process (its start-up is most of a
 * read of a small log): each file's exit code, output and error text.
 */
export function pythonReadJson(files: string[]): PythonRead[] {
  const script = [
    'import contextlib, io, json, sys, traceback',
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})`,
    'import weft_read',
    'out = []',
    'for f in json.load(sys.stdin):',
    '    sys.argv = ["weft_read.py", f, "--json"]',
    '    o, e = io.StringIO(), io.StringIO()',
    '    try:',
    '        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):',
    '            code = weft_read.main()',
    '    except SystemExit as x:',
    '        code = x.code if isinstance(x.code, int) else 2',
    '    except BaseException:',
    '        code = "crash"',
    '        e.write(traceback.format_exc())',
    '    out.append({"code": code, "stdout": o.getvalue(), "stderr": e.getvalue()})',
    'json.dump(out, sys.stdout)',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(files), encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`the Python reader's driver failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PythonRead[];
}

/** Every frame's bytes by kind and step (`step 3`, `keyframe 0`, `eval 2`…): what two logs' frames are compared by. */
export function framesOf(path: string): Map<string, Buffer> {
  const log = openLog(path);
  const bytes = readFileSync(path);
  const out = new Map(log.frames.map((f) => [`${f.kind} ${f.step}`, bytes.subarray(f.offset, f.end)]));
  log.close();
  return out;
}
