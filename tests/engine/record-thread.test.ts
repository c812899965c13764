import { spawn, spawnSync } from 'node:child_process';
import { closeSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { loadScenario } from '../../src/cli/scenarios.ts';
import { pack } from '../../src/log/msgpack.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { ROOT } from '../helpers.ts';
import { makeHeader, Recorder } from '../../src/engine/recorder.ts';
import { InlineOutput, RecordThread, THREAD_ELEMENTS_MIN } from '../../src/engine/record-thread.ts';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { LogWriteError } from '../../src/errors.ts';
import { LogLock } from '../../src/log/lock.ts';
import { openLog } from '../../src/log/reader.ts';
import { LogWriter } from '../../src/log/writer.ts';
import { MemorySink } from '../../src/log/bytes.ts';
import { startResume } from '../../src/replay/fork.ts';
import { config, tempDir } from '../log/helpers.ts';

// A model just above the size from which a file log is written by a recording thread (so the
// default path is the thread's), small enough that a step costs milliseconds.
const MID: DeepPartial<WeftConfig> = {
  model: { nLayers: 2, nHeads: 4, dModel: 96, dFF: 384, vocabSize: 64, contextLength: 8, dropout: 0.1 },
  data: { corpus: 'random', batchSize: 2, randomTokens: 4096 },
  steps: 7,
  record: { keyframeEvery: 3 },
};

function record(path: string, c: WeftConfig, thread: boolean | undefined, stopAfter?: number): Recorder {
  const t = new Trainer(c);
  const rec = Recorder.create(path, 'thread-test', c, t, { overwrite: true, thread });
  rec.finish(runTraining(t, c.steps, [rec], () => stopAfter !== undefined && t.stepsDone >= stopAfter), t);
  return rec;
}

/** The three ways to write `c`'s log — on this thread, on a recording thread from the first record, as the size decides (a thread once started) — and their bytes. */
function threeWays(dir: string, name: string, c: WeftConfig): Buffer[] {
  return ([false, true, undefined] as const).map((thread, i) => {
    const path = join(dir, `${name}-${i}.weft`);
    const rec = record(path, c, thread);
    expect(rec.writer instanceof RecordThread, `${name}: thread ${thread}`).toBe(thread !== false);
    if (thread) expect((rec.writer as RecordThread).onThread, `${name}: written by the thread`).toBe(true);
    return readFileSync(path);
  });
}

describe('a recording thread writes the bytes the training thread does', () => {
  const dir = tempDir();

  it('the test model is one the default writes on a thread', () => {
    const t = new Trainer(config(MID));
    expect(t.table.total).toBeGreaterThanOrEqual(THREAD_ELEMENTS_MIN);
  });

  it.each(['full', 'compact', 'summary'] as const)('%s logs, with dropout masks, keyframes and held-out evaluations', (mode) => {
    const c = config({ ...MID, data: { corpus: 'story', batchSize: 2, trainFraction: 0.75 }, model: { ...MID.model, vocabSize: 0 }, eval: { every: 2, batches: 1 }, record: { mode, keyframeEvery: 3 } });
    const [inline, thread, auto] = threeWays(dir, mode, c);
    expect(openLog(join(dir, `${mode}-1.weft`)).lastStep).toBe(7);
    expect(thread.equals(inline), `${mode}: the thread's log`).toBe(true);
    expect(auto.equals(inline), `${mode}: the default's log`).toBe(true);
  });

  it('a run that overflows: the anomaly, the canonical NaNs in the state hashed, the end record', () => {
    const c = config({ ...MID, model: { ...MID.model, layerNorm: false }, optim: { kind: 'sgd', lr: 30 }, steps: 40, record: { mode: 'full', keyframeEvery: 3 } });
    const [inline, thread] = threeWays(dir, 'overflow', c);
    const log = openLog(join(dir, 'overflow-1.weft'));
    expect(log.readEnd()?.reason).toBe('non-finite');
    expect(log.anomalyFrames.length).toBe(1);
    log.close();
    expect(thread.equals(inline)).toBe(true);
  });

  it('a run stopped and resumed (both on recording threads) is the uninterrupted run written on this thread', () => {
    const c = config({ ...MID, record: { mode: 'compact', keyframeEvery: 3 } });
    const whole = join(dir, 'whole.weft');
    record(whole, c, false);
    for (const stop of [2, 3, 5]) {
      const part = join(dir, `part-${stop}.weft`);
      record(part, c, true, stop);
      const log = openLog(part);
      const { trainer, recorder } = startResume(log);
      log.close();
      expect(recorder.writer instanceof RecordThread).toBe(true);
      recorder.finish(runTraining(trainer, c.steps, [recorder]), trainer);
      expect(readFileSync(part).equals(readFileSync(whole)), `stopped after ${stop}`).toBe(true);
    }
  });

  it('a log into memory is written on this thread, whatever is asked', () => {
    const c = config(MID);
    const t = new Trainer(c);
    const rec = new Recorder(LogWriter.toSink(new MemorySink(), 'memory.weft'), makeHeader('memory', c, t), t, { thread: true });
    expect(rec.writer instanceof InlineOutput).toBe(true);
  });
});

describe('a recording thread that does not start', () => {
  it('a worker module that fails as it loads: the log is written on this thread, whole, with no wait for it', async () => {
    const dir = tempDir();
    const broken = join(dir, 'broken-worker.mjs');
    writeFileSync(broken, 'throw new Error("this module does not load");\n');
    const path = join(dir, 'fallback.weft');
    const writer = LogWriter.create(path);
    const t0 = performance.now();
    const out = RecordThread.start(writer, [10], { module: pathToFileURL(broken) })!;
    expect(performance.now() - t0, 'the start does not wait for the thread').toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 300)); // the worker's error arrives
    out.write({ kind: 'end', reason: 'completed', steps: 0, stateHash: '0'.repeat(32) });
    expect(out.onThread).toBe(false);
    out.close();
    expect(statSync(path).size, 'every byte written reached the file').toBe(out.bytesWritten);
    expect(out.bytesWritten).toBeGreaterThan(100);
    LogLock.acquire(path).release(); // not held any more
  });

  it('by size, a log starts on this thread and the recording thread takes it over once started: the same bytes', async () => {
    const dir = tempDir();
    const c = config({ ...MID, steps: 12, record: { mode: 'full', keyframeEvery: 5 } });
    const t = new Trainer(c);
    const rec = Recorder.create(join(dir, 'later.weft'), 'thread-test', c, t);
    expect(rec.writer instanceof RecordThread).toBe(true);
    runTraining(t, 3, [rec]);
    // give it time to start, as the steps of a real run do
    for (let i = 0; i < 100 && !(rec.writer as RecordThread).onThread; i++) await new Promise((r) => setTimeout(r, 20));
    expect((rec.writer as RecordThread).onThread, 'taken over').toBe(true);
    rec.finish(runTraining(t, 12, [rec]), t);
    record(join(dir, 'here.weft'), c, false);
    expect(readFileSync(join(dir, 'later.weft')).equals(readFileSync(join(dir, 'here.weft')))).toBe(true);
  });
});

describe('a process that ends without closing its log', () => {
  it('its exit waits for what the recording thread was handed: every step is in the log', () => {
    const dir = tempDir();
    const path = join(dir, 'unclosed.weft');
    const script = join(dir, 'unclosed.mts');
    writeFileSync(script, [
      `import { config } from '${ROOT}/tests/log/helpers.ts';`,
      `import { Recorder } from '${ROOT}/src/engine/recorder.ts';`,
      `import { Trainer } from '${ROOT}/src/engine/trainer.ts';`,
      `import { runTraining } from '${ROOT}/src/engine/run.ts';`,
      `const c = config(${JSON.stringify({ ...MID, steps: 10, record: { mode: 'full', keyframeEvery: 100 } })});`,
      'const t = new Trainer(c);',
      `const rec = Recorder.create(${JSON.stringify(path)}, 'unclosed', c, t, { thread: true });`,
      'runTraining(t, 10, [rec]);',
      "if (!rec.writer.onThread) throw new Error('not on the thread');",
      '// no finish: the script ends here',
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const log = openLog(path);
    expect(log.lastStep).toBe(10);
    expect(log.readEnd()).toBeNull();
    log.close();
  });
});

describe('a recording thread that cannot write', () => {
  it('its failure reaches the training thread as the LogWriteError it was, naming the last complete step; the lock is released', () => {
    const dir = tempDir();
    const path = join(dir, 'closed.weft');
    const c = config({ ...MID, steps: 20, record: { mode: 'full', keyframeEvery: 100 } });
    const t = new Trainer(c);
    const rec = Recorder.create(path, 'thread-test', c, t, { thread: true });
    runTraining(t, 2, [rec]);
    rec.writer.flush();
    // the file's descriptor closed behind the thread's back: its next write fails (EBADF)
    const fd = readdirSync('/proc/self/fd').map(Number).find((n) => {
      try {
        return readlinkSync(`/proc/self/fd/${n}`) === path;
      } catch {
        return false;
      }
    });
    expect(fd, 'the log is open in this process').toBeDefined();
    closeSync(fd!);
    let error: unknown = null;
    try {
      runTraining(t, 20, [rec]);
      rec.writer.flush();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LogWriteError);
    expect((error as LogWriteError).message).toBe(`${path}: cannot write the log (EBADF: bad file descriptor); it is readable up to step 2`);
    expect(() => rec.writer.write({ kind: 'end', reason: 'completed', steps: 3, stateHash: '' }), 'nothing more is written').toThrow(LogWriteError);
    rec.writer.abandon();
    LogLock.acquire(path).release(); // not held any more
    const log = openLog(path);
    expect(log.lastStep).toBe(2);
    log.close();
  });
});

/** `weft run baseline --record full` (the baseline's own model: a recording thread writes its log), sent `signal` `afterMs` after the progress line shows step `atStep`. */
function runBaseline(out: string, atStep: number, afterMs: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; shown: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, 'run', 'baseline', '--record', 'full', '--steps', '100000', '--out', out], { cwd: ROOT });
    let stderr = '';
    let sent = false;
    let shown = 0;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const m of stderr.matchAll(/step (\d+)\//g)) shown = Math.max(shown, Number(m[1]));
      if (!sent && shown >= atStep) {
        sent = true;
        setTimeout(() => child.kill(signal), afterMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code, signal: sig, shown, stderr }));
  });
}

describe('a log written by a recording thread, when the run is stopped', () => {
  const dir = tempDir();

  it('SIGKILL at random moments: every log opens, and its steps are the uninterrupted run’s (written on the training thread)', async () => {
    const r = keyedStream(7, 'test/record-thread-kills');
    const delays = [0, 1, 2].map(() => r.int(1200));
    const killed = await Promise.all(delays.map(async (d, i) => {
      const path = join(dir, `killed-${i}.weft`);
      const run = await runBaseline(path, 1, d, 'SIGKILL');
      expect(run.signal, run.stderr).toBe('SIGKILL');
      return openLog(path);
    }));
    const last = Math.max(...killed.map((l) => l.lastStep));
    const c = validateConfig(mergeConfig((await loadScenario('baseline')).config, { steps: 100000, record: { mode: 'full' } }));
    const t = new Trainer(c);
    const ref = join(dir, 'reference.weft');
    const rec = Recorder.create(ref, 'baseline', c, t, { thread: false });
    runTraining(t, last, [rec]);
    rec.finish({ reason: 'completed', stepsDone: last, anomaly: null }, t);
    const reference = openLog(ref);
    for (const [i, log] of killed.entries()) {
      expect(log.readEnd(), `killed after ${delays[i]} ms`).toBeNull();
      expect(log.stepNumbers).toEqual(Array.from({ length: log.lastStep }, (_, k) => k + 1));
      for (const s of log.stepNumbers) expect(Buffer.from(pack(log.readStep(s))).equals(pack(reference.readStep(s))), `killed-${i} step ${s}`).toBe(true);
      log.verifyAll();
      log.close();
    }
    reference.close();
  });

  it('Ctrl-C: every step the run made is in the log, which is closed (end record, index); exit 130', async () => {
    const path = join(dir, 'interrupted.weft');
    const run = await runBaseline(path, 1, 700, 'SIGINT');
    expect(run.code, run.stderr).toBe(130);
    const said = /interrupted after step (\d+);/.exec(run.stderr);
    expect(said, run.stderr).not.toBeNull();
    const log = openLog(path);
    expect(log.indexed).toBe(true);
    expect(log.readEnd()).toMatchObject({ reason: 'interrupted', steps: Number(said![1]) });
    expect(log.lastStep).toBe(Number(said![1]));
    log.close();
  });
});
