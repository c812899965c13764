import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLog, type LogReader } from '../../src/log/reader.ts';
import { stateAt } from '../../src/replay/state.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { hashBytes } from '../../src/engine/hash.ts';
import { useThreads } from '../../src/kernels/registry.ts';
import { arraysSplit } from '../../src/log/decode-threads.ts';
import { ransModule } from '../../src/log/rans.ts';
import { LogCorruptError } from '../../src/errors.ts';
import { TINY } from '../../src/config/config.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

// Replay on decode threads (the CLI's --threads): a compact log's walk decodes each step's
// gradient on the threads while the optimizer runs the step before it (replay/step.ts
// applyCompactSteps). The states and the errors must be those of one thread, one step at a time.

afterAll(() => useThreads(1));

const dir = tempDir();
const STEPS = 8;
// d 64 and two layers: 107,000 parameters, so an array has several segments to split
const cfg = config({ model: { ...TINY, dModel: 64, dFF: 256 }, steps: STEPS, record: { mode: 'compact', keyframeEvery: 100 } });
const path = join(dir, 'compact.weft');
recordRun(path, cfg);

function fresh(n: number) {
  const t = new Trainer(cfg);
  for (let i = 0; i < n; i++) t.step();
  return { params: hashBytes(t.params), m: hashBytes(t.optim.m), v: hashBytes(t.optim.v), t: t.optim.t };
}

/**
 * The log as read, with these steps' gradients damaged (a flipped byte near the end: a rANS
 * stream) or missing, and these steps' records unreadable (as a checksum that does not match).
 */
function damaged(log: LogReader, flipped: number[], missing: number[] = [], unreadable: number[] = []): LogReader {
  const bad = Object.create(log) as LogReader;
  bad.readStep = (s: number) => {
    if (unreadable.includes(s)) throw log.corrupt('step', s, 'checksum mismatch (simulated)');
    const r = log.readStep(s);
    if (missing.includes(s)) return { ...r, grads: null };
    if (!flipped.includes(s) || !r.grads) return r;
    return { ...r, grads: r.grads.map((x, i) => (i === r.grads!.length - 7 ? x ^ 0x40 : x)) };
  };
  return bad;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LogCorruptError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('replay on decode threads', () => {
  it('a compact walk on 2 threads gives the state of a fresh run, as on one, and the threads did decode', () => {
    const log = openLog(path);
    try {
      for (const threads of [1, 2, 3]) {
        useThreads(threads);
        const before = arraysSplit();
        for (const n of [1, 2, 5, STEPS - 1, STEPS]) {
          const s = stateAt(log, n);
          expect({ params: hashBytes(s.params), m: hashBytes(s.m), v: hashBytes(s.v), t: s.optimT }, `${threads} threads, step ${n}`).toEqual(fresh(n));
        }
        expect(arraysSplit() > before, `${threads} threads split`).toBe(threads > 1);
      }
    } finally {
      useThreads(1);
      log.close();
    }
  });

  it('damaged or missing gradients: the same error, naming the first damaged step, on 1 and 2 threads; the codec is free after it', () => {
    const log = openLog(path);
    try {
      // the walk to step 7 (the run's end, step 8, is a keyframe of its own)
      // (a record read while the gradient before it decodes: that gradient's error comes first)
      const cases: [number[], number[], number[]][] = [[[4], [], []], [[3, 6], [], []], [[7], [5], []], [[], [2], []], [[7], [], []], [[1], [], []], [[4], [], [5]], [[], [], [3]]];
      for (const [flipped, missing, unreadable] of cases) {
        const messages = [1, 2].map((threads) => {
          useThreads(threads);
          return errorOf(() => stateAt(damaged(log, flipped, missing, unreadable), STEPS - 1));
        });
        const first = Math.min(...flipped, ...missing, ...unreadable);
        expect(messages[0]).toMatch(new RegExp(`\\(step ${first}\\)|step ${first}\\b`));
        expect(messages[1], `flipped ${flipped}, missing ${missing}`).toBe(messages[0]);
        expect(ransModule()!.held).toBe(false);
      }
      // an optimizer that fails while the next gradient decodes: that decoding is finished all the same
      useThreads(2);
      const failing = Object.create(log) as LogReader;
      Object.defineProperty(failing, 'header', { value: { ...log.header, config: { ...log.header.config, optim: { ...log.header.config.optim, kind: 'none-such' } } } });
      expect(() => stateAt(failing, STEPS - 1)).toThrow(/none-such/);
      expect(ransModule()!.held).toBe(false);
      expect(hashBytes(stateAt(log, STEPS - 1).params)).toBe(fresh(STEPS - 1).params);
    } finally {
      useThreads(1);
      log.close();
    }
  });
});
