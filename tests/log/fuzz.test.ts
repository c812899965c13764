import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { LogCorruptError, LogFormatError } from '../../src/errors.ts';
import { stateAt } from '../../src/replay/state.ts';
import { stepMasks } from '../../src/log/steps.ts';
import { UsageError } from '../../src/errors.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { config, MICRO, recordRun, tempDir } from './helpers.ts';

const dir = tempDir();

/** Opens and reads everything a user could ask for; returns how it ended. */
function readAll(path: string): 'ok' | 'corrupt' | 'format' {
  try {
    const log = openLog(path);
    try {
      log.verifyAll();
      for (const s of log.stepNumbers) stepMasks(log.header, log.readStep(s));
      for (let n = log.header.startStep; n <= log.lastStep; n++) stateAt(log, n);
      log.readAnomalies();
      log.readEnd();
    } finally {
      log.close();
    }
    return 'ok';
  } catch (e) {
    if (e instanceof LogCorruptError) {
      expect(e.message).toMatch(/corrupt( at byte \d+)?/);
      return 'corrupt';
    }
    if (e instanceof LogFormatError) return 'format';
    if (e instanceof UsageError) return 'ok'; // asking for a step the damaged log no longer has
    throw e; // anything else is a reader bug: a crash
  }
}

describe('damaged logs never crash or hang the reader', () => {
  for (const mode of ['full', 'compact'] as const) {
    const path = join(dir, `${mode}.weft`);
    recordRun(path, config({ ...MICRO, steps: 4, record: { mode, keyframeEvery: 2 } }));
    const good = readFileSync(path);

    it(`${mode}: the intact log reads completely`, () => {
      expect(readAll(path)).toBe('ok');
    });

    it(`${mode}: truncated at every length, it reads exactly the frames that were complete, or fails with an offset`, () => {
      const ref = openLog(path);
      const frames = ref.frames.map((f) => ({ ...f }));
      const hashes = new Map(ref.stepNumbers.map((s) => [s, ref.readStep(s).stateHash]));
      ref.close();
      const cut = join(dir, `${mode}-cut.weft`);
      let prefixes = 0;
      for (let len = 0; len < good.length; len += Math.max(1, Math.floor(good.length / 1500))) {
        writeFileSync(cut, good.subarray(0, len));
        const intact = frames.filter((f) => f.end <= len);
        if (intact.length === 0) {
          // not even the header record: an error naming what is missing, never a log
          expect(readAll(cut), `cut at ${len}`).not.toBe('ok');
          continue;
        }
        const log = openLog(cut);
        try {
          expect(log.frames.map((f) => f.offset), `cut at ${len}`).toEqual(intact.map((f) => f.offset));
          // the bytes after the last complete frame are a torn tail — but a complete index frame
          // (the closed log's, before its 16-byte trailer) is whole, not torn
          const indexEnd = good.length - 16;
          expect(log.tornTailBytes, `cut at ${len}`).toBe(len - (len >= indexEnd ? indexEnd : intact.at(-1)!.end));
          for (const s of log.stepNumbers) expect(log.readStep(s).stateHash, `cut at ${len}, step ${s}`).toBe(hashes.get(s));
        } finally {
          log.close();
        }
        // and everything in it reads and replays — once the initial state (keyframe 0) is in it
        expect(readAll(cut), `cut at ${len}`).toBe(intact.some((f) => f.kind === 'keyframe') ? 'ok' : 'corrupt');
        prefixes++;
      }
      expect(prefixes).toBeGreaterThan(100);
    });

    it(`${mode}: every single-bit flip — magic, index and trailer included — is found by the checksum pass (what inspect runs)`, () => {
      const r = keyedStream(11, 'test/fuzz-checksums', mode);
      const bad = join(dir, `${mode}-flip-check.weft`);
      const bits = [...Array.from({ length: 64 }, (_, i) => i), ...Array.from({ length: 300 }, () => r.int(good.length * 8)), ...Array.from({ length: 128 }, (_, i) => (good.length - 16) * 8 + i)];
      for (const bit of bits) {
        const buf = Buffer.from(good);
        buf[bit >> 3] ^= 1 << (bit & 7);
        writeFileSync(bad, buf);
        const where = `bit ${bit} (byte ${bit >> 3})`;
        try {
          const log = openLog(bad);
          try {
            log.checkChecksums();
          } finally {
            log.close();
          }
          expect.fail(`${where}: not detected`);
        } catch (e) {
          if (e instanceof LogFormatError) expect(e.message, where).toMatch(/byte 8/); // the version: newer than this weft
          else {
            expect(e, where).toBeInstanceOf(LogCorruptError);
            expect((e as LogCorruptError).offsetByte, where).toBeGreaterThanOrEqual(0);
            // the offset names the frame holding the flipped byte, or the trailer/header field itself
            expect((e as LogCorruptError).offsetByte, where).toBeLessThanOrEqual(bit >> 3);
          }
        }
      }
    });

    it(`${mode}: thousands of single-bit flips are detected or harmless`, () => {
      const r = keyedStream(9, 'test/fuzz', mode);
      const bad = join(dir, `${mode}-flip.weft`);
      const outcomes = { ok: 0, corrupt: 0, format: 0 };
      for (let i = 0; i < 2000; i++) {
        const buf = Buffer.from(good);
        const bit = r.int(buf.length * 8);
        buf[bit >> 3] ^= 1 << (bit & 7);
        writeFileSync(bad, buf);
        const o = readAll(bad);
        outcomes[o]++;
        if (o === 'ok') {
          // a flip that reads fine may only have hit the index or trailer: the steps are intact
          const log = openLog(bad);
          expect(log.indexed).toBe(false);
          log.close();
        }
      }
      expect(outcomes.corrupt).toBeGreaterThan(1000);
    });
  }
});
