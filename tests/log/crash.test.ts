import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { Recorder } from '../../src/log/recorder.ts';
import { runTraining } from '../../src/engine/run.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { ROOT, TINY_SETS, tinyConfig } from '../helpers.ts';
import { tempDir } from './helpers.ts';
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
