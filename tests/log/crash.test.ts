import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog, openLogBytes } from '../../src/log/reader.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { makeHeader, Recorder } from '../../src/engine/recorder.ts';
import { MemorySink, type ByteSink } from '../../src/log/bytes.ts';
import { LogWriter } from '../../src/log/writer.ts';
import { LogWriteError } from '../../src/errors.ts';
import { runTraining } from '../../src/engine/run.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { ROOT, TINY_SETS, tinyConfig } from '../helpers.ts';
import { config, MICRO, tempDir } from './helpers.ts';
import { pack } from '../../src/log/msgpack.ts';

/** Starts `weft run baseline` recording, waits until it has trained, then SIGKILLs it after delayMs. */
function recordAndKill(out: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, 'run', 'baseline', ...TINY_SETS, '--steps', '100000', '--out', out], { cwd: ROOT });
    let started = false;
    child.stderr.on('data', (d: Buffer) => {
      if (!started && /step 1\//.test(d.toString())) {
        started = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`exited with ${code} ${signal}`))));
  });
}

describe('a recording killed at any instant leaves a readable log', () => {
  it('SIGKILL at several random moments: every log opens and its steps equal an uninterrupted run', async () => {
    const dir = tempDir();
    const r = keyedStream(42, 'test/kill-delays');
    const delays = [0, 1, 2, 3].map(() => r.int(1500));
    const logs = await Promise.all(delays.map(async (d, i) => {
      const path = join(dir, `killed-${i}.weft`);
      await recordAndKill(path, d);
      return path;
    }));
    const readers = logs.map((p) => openLog(p));
    const maxStep = Math.max(...readers.map((l) => l.lastStep));
    // the uninterrupted reference: same config, recorded in this process
    const ref = join(dir, 'reference.weft');
    const cfg = await tinyConfig('baseline', 100000);
    const t = new Trainer(cfg);
    const rec = Recorder.create(ref, 'baseline', cfg, t);
    runTraining(t, maxStep, [rec]);
    rec.finish({ reason: 'completed', stepsDone: maxStep, anomaly: null }, t);
    const reference = openLog(ref);
    for (const [i, log] of readers.entries()) {
      expect(log.indexed, logs[i]).toBe(false);
      expect(log.readEnd()).toBeNull();
      expect(log.lastStep, `${logs[i]} after ${delays[i]} ms`).toBeGreaterThanOrEqual(1);
      expect(log.stepNumbers).toEqual(Array.from({ length: log.lastStep }, (_, k) => k + 1));
      for (const s of log.stepNumbers) {
        const same = Buffer.from(pack(log.readStep(s))).equals(pack(reference.readStep(s)));
        expect(same, `${logs[i]} step ${s} differs from the uninterrupted run`).toBe(true);
      }
      log.verifyAll();
    }
  });
});

/** A disk that fills after `room` bytes: the write that crosses it lands in part, then fails with ENOSPC. */
class FullDiskSink implements ByteSink {
  readonly kept = new MemorySink();
  private room: number;
  constructor(room: number) {
    this.room = room;
  }
  append(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) {
      const n = Math.min(c.length, this.room);
      this.kept.append([c.subarray(0, n)]);
      this.room -= n;
      if (n < c.length) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
  }
  sync(): void {}
  close(): void {}
}

describe('a write that fails while recording', () => {
  it('a full disk mid-run: a LogWriteError naming the log, ENOSPC and the last complete step, which is readable', async () => {
    const cfg = await tinyConfig('baseline', 12, { record: { mode: 'summary', keyframeEvery: 100 } });
    const whole = new MemorySink();
    const t0 = new Trainer(cfg);
    const r0 = new Recorder(LogWriter.toSink(whole, 'whole.weft'), makeHeader('baseline', cfg, t0), t0);
    r0.finish(runTraining(t0, cfg.steps, [r0]), t0);
    const ref = openLogBytes(whole.bytes());
    // room for the header, the keyframe and half of step 6's frame
    const step6 = ref.frames.find((f) => f.kind === 'step' && f.step === 6)!;
    const sink = new FullDiskSink(step6.offset + Math.floor((step6.end - step6.offset) / 2));
    const t = new Trainer(cfg);
    const rec = new Recorder(LogWriter.toSink(sink, '/runs/full.weft'), makeHeader('baseline', cfg, t), t);
    let error: unknown = null;
    try {
      runTraining(t, cfg.steps, [rec]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LogWriteError);
    expect((error as LogWriteError).message).toBe('/runs/full.weft: cannot write the log (ENOSPC: no space left on device); it is readable up to step 5');
    expect((error as LogWriteError).exitCode).toBe(2);
    expect(() => rec.writer.write({ kind: 'end', reason: 'completed', steps: 5, stateHash: '' }), 'nothing is written after a torn frame').toThrow(/readable up to step 5/);
    const log = openLogBytes(sink.kept.bytes());
    expect(log.lastStep).toBe(5);
    expect(log.tornTailBytes).toBeGreaterThan(0);
    for (const s of log.stepNumbers) expect(Buffer.from(pack(log.readStep(s))).equals(pack(ref.readStep(s))), `step ${s}`).toBe(true);
  });

  it('a disk full before the header record: nothing complete, said so', () => {
    const sink = new FullDiskSink(20);
    const t = new Trainer(config({ ...MICRO, steps: 2 }));
    expect(() => new Recorder(LogWriter.toSink(sink, 'x.weft'), makeHeader('micro', t.config, t), t)).toThrow('x.weft: cannot write the log (ENOSPC: no space left on device); nothing complete is in it');
  });
});
