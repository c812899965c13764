import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogCorruptError } from '../../src/errors.ts';
import { openLog, openLogBytes, type LogReader } from '../../src/log/reader.ts';
import { MemorySink } from '../../src/log/bytes.ts';
import { LogWriter } from '../../src/log/writer.ts';
import { crc32 } from '../../src/log/crc32.ts';
import { pack, unpack } from '../../src/log/msgpack.ts';
import { bytesOf, viewAs } from '../../src/log/format.ts';
import type { HeaderRecord, LogRecord } from '../../src/log/records.ts';
import { stateAt } from '../../src/replay/state.ts';
import { verifyLog } from '../../src/replay/verify.ts';
import { checkLog } from '../../src/replay/check.ts';
import { diff } from '../../src/diff/diff.ts';
import { config, MICRO, recordRun, tempDir } from './helpers.ts';

/**
 * The reader's structural checks (issue 20: "every reader checks every record it trusts"): logs
 * whose every frame is whole, with intact checksums, but whose records are missing, doubled,
 * relabelled or taken from another run. Each was read as good data before.
 */
const dir = tempDir();
const cfg = (over: object = {}) => config({ ...MICRO, steps: 6, record: { mode: 'full', keyframeEvery: 3 }, ...over });
const pathA = join(dir, 'a.weft');
const pathB = join(dir, 'b.weft');
recordRun(pathA, cfg());
recordRun(pathB, cfg({ seed: 2 }));
const bytesA = readFileSync(pathA);

/** Every record of a log, in file order. */
function recordsOf(path: string): LogRecord[] {
  const log = openLog(path);
  try {
    return log.frames.map((f) => log.readRecord(f));
  } finally {
    log.close();
  }
}

/** A log made of these records, written as weft writes one: closed (index, trailer) or as a killed run leaves it. */
function assemble(records: LogRecord[], closed = true): Uint8Array {
  const sink = new MemorySink();
  const w = LogWriter.toSink(sink, 'x.weft', (records[0] as HeaderRecord).format);
  for (const r of records) w.write(r);
  if (closed) w.close();
  else w.abandon();
  return sink.bytes();
}

/** What opening and using a log gives: the error it is refused with, or null. */
function refusal(bytes: Uint8Array, use: (log: LogReader) => unknown = () => {}): LogCorruptError | null {
  try {
    const log = openLogBytes(bytes, 'x.weft');
    use(log);
    return null;
  } catch (e) {
    if (e instanceof LogCorruptError) return e;
    throw e;
  }
}

const A = recordsOf(pathA);
const B = recordsOf(pathB);
const where = (recs: LogRecord[], kind: string, step: number) => recs.findIndex((r) => r.kind === kind && 'step' in r && r.step === step);

describe('a log is read as it was written, or refused with the offset', () => {
  it('the records reassembled give the same bytes (so the cases below differ only in what they change)', () => {
    expect(Buffer.from(assemble(A)).equals(bytesA)).toBe(true);
  });

  for (const closed of [true, false]) {
    const how = closed ? 'closed' : 'killed';
    it(`${how}: a missing step record is corruption at the frame after the gap`, () => {
      const recs = A.filter((_, i) => i !== where(A, 'step', 4));
      const bytes = assemble(recs, closed);
      const e = refusal(bytes);
      expect(e?.message).toMatch(/step 5 follows step 3: step 4 is missing/);
      const log = openLogBytes(assemble(A, closed));
      expect(e!.offsetByte).toBe(log.offsetOf('step', 4)); // where step 5's frame now starts
    });

    it(`${how}: a step recorded twice, or out of order, is corruption`, () => {
      const i = where(A, 'step', 3);
      expect(refusal(assemble([...A.slice(0, i + 1), A[i], ...A.slice(i + 1)], closed))?.message).toMatch(/step 3 recorded again/);
      const swapped = A.slice();
      [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
      expect(refusal(assemble(swapped, closed))).not.toBeNull();
    });

    it(`${how}: a keyframe or probe away from its step, a second header, records after the end: corruption`, () => {
      const kf = where(A, 'keyframe', 3);
      const moved = A.slice();
      moved.splice(kf, 1);
      moved.splice(where(moved, 'step', 5) + 1, 0, A[kf]);
      expect(refusal(assemble(moved, closed))?.message).toMatch(/a keyframe of step 3 where the log is at step 5/);
      expect(refusal(assemble([...A.slice(0, 2), A[0], ...A.slice(2)], closed))?.message).toMatch(/a second header record/);
      const end = A.findIndex((r) => r.kind === 'end');
      expect(refusal(assemble([...A.slice(0, end + 1), A[end]], closed))?.message).toMatch(/after the end record/);
    });
  }

  it('an index that gives a frame another step or kind (its CRC recomputed) is corruption', () => {
    const bytes = Buffer.from(assemble(A));
    // the index frame rewritten, checksum and all, so that the index itself checks out
    const trailerAt = bytes.length - 16;
    const at = bytes.readDoubleLE(trailerAt + 8);
    const index = unpack(bytes.subarray(at + 8, trailerAt)) as { kind: 'index'; offsets: Uint8Array; kinds: Uint8Array; steps: Uint8Array };
    const forge = (change: (steps: Float64Array, kinds: Uint8Array) => void) => {
      const steps = Float64Array.from(viewAs(index.steps, Float64Array));
      const kinds = Uint8Array.from(index.kinds);
      change(steps, kinds);
      const body = pack({ ...index, kinds, steps: bytesOf(steps) });
      const head = Buffer.alloc(8);
      head.writeUInt32LE(body.length, 0);
      head.writeUInt32LE(crc32(body), 4);
      return Buffer.concat([bytes.subarray(0, at), head, body, bytes.subarray(trailerAt)]);
    };
    const relabelled = forge((steps) => (steps[steps.indexOf(4)] = 99));
    expect(refusal(relabelled)?.message).toMatch(/step 99 follows step 3/);
    // the keyframe of step 3 called a probe of step 3 (in its place, as the recorder writes one):
    // refused on opening, a format-1 log has no probes
    const kf = A.findIndex((r) => r.kind === 'keyframe' && r.step === 3);
    const renamed = forge((_, kinds) => (kinds[kf] = 6));
    expect(refusal(renamed)?.message).toMatch(new RegExp(`\\(record ${kf}\\): a probe record in a format-1 log`));
  });

  it('a keyframe frame of another run (whole, CRC intact) is refused by replay, checkIntegrity, verify and diff', () => {
    // the last step's keyframe: replay --to 6 and export --at 6 read it as it is
    const spliced = A.slice();
    spliced[where(A, 'keyframe', 6)] = B[where(B, 'keyframe', 6)];
    const bytes = assemble(spliced);
    expect(refusal(bytes, (log) => stateAt(log, 6))?.message).toMatch(/keyframe 6: its state hash .* is not step 6's .*another run/);
    expect(refusal(bytes, (log) => log.checkIntegrity())?.message).toMatch(/keyframe 6: .*another run/);
    expect(refusal(bytes, (log) => verifyLog(log))).not.toBeNull();
    expect(refusal(bytes, (log) => diff(log, openLog(pathA)))).not.toBeNull();
    // the intact log: the same state as the recorded hash says
    expect(stateAt(openLogBytes(bytesA), 6).stateHash).toBe(openLogBytes(bytesA).readStep(6).stateHash);
  });

  it('the keyframe at the start, from another run, is refused by replay, verify and the whole-log check (one step on from it must give step 1)', () => {
    const spliced = A.slice();
    spliced[where(A, 'keyframe', 0)] = B[where(B, 'keyframe', 0)];
    const bytes = assemble(spliced);
    expect(refusal(bytes, (log) => stateAt(log, 0))?.message).toMatch(/keyframe 0: one step from it hashes to .* step 1 records .*another run/);
    // verify, inspect, diff and sweeps check it too, before trusting the rest (checkLog)
    expect(refusal(bytes, (log) => verifyLog(log))?.message).toMatch(/keyframe 0: one step from it .*another run/);
    expect(refusal(bytes, (log) => checkLog(log))?.message).toMatch(/keyframe 0: one step from it .*another run/);
    // a diff with the intact log refuses it too, never "identical"
    expect(refusal(bytes, (log) => diff(log, openLog(pathA)))?.message).toMatch(/keyframe 0: .*another run/);
  });

  it('an end record that disagrees with the last step is corruption (checkIntegrity: inspect, verify, diff, sweeps)', () => {
    const end = A.findIndex((r) => r.kind === 'end');
    const e = A[end] as Extract<LogRecord, { kind: 'end' }>;
    const fewer = A.slice();
    fewer[end] = { ...e, steps: 5 };
    expect(refusal(assemble(fewer), (log) => log.checkIntegrity())?.message).toMatch(/the end record says 5 steps, the log holds steps to 6/);
    const other = A.slice();
    other[end] = B[B.findIndex((r) => r.kind === 'end')];
    expect(refusal(assemble(other), (log) => log.checkIntegrity())?.message).toMatch(/the end record's state hash .* is not the last step's/);
  });

  it('a killed log: a flipped bit in a frame length that runs past the end is corruption, not a torn tail', () => {
    const killed = Buffer.from(assemble(A, false));
    const ref = openLogBytes(killed);
    let flipsPastEnd = 0;
    for (const f of ref.frames.slice(0, -1)) {
      for (let bit = 0; bit < 32; bit++) {
        const buf = Buffer.from(killed);
        buf.writeUInt32LE((buf.readUInt32LE(f.offset) ^ (1 << bit)) >>> 0, f.offset);
        if (buf.readUInt32LE(f.offset) <= buf.length - f.offset - 8) continue; // within the file: the checksum finds it
        flipsPastEnd++;
        const e = refusal(buf);
        expect(e, `frame at ${f.offset}, bit ${bit}`).not.toBeNull();
        expect(e!.offsetByte).toBe(f.offset);
      }
    }
    expect(flipsPastEnd).toBeGreaterThan(100);
    // a real torn tail (the last frame cut short) is still dropped and the rest read
    const torn = killed.subarray(0, killed.length - 5);
    const log = openLogBytes(torn);
    expect(log.tornTailBytes).toBeGreaterThan(0);
    expect(log.lastStep).toBe(6);
  });

  it('a closed log with a damaged index reads its frames by scanning, and checkIntegrity names the index', () => {
    const bytes = Buffer.from(bytesA);
    const at = bytes.readDoubleLE(bytes.length - 8);
    bytes[at + 20] ^= 4; // inside the index body: its checksum fails
    const log = openLogBytes(bytes);
    expect(log.indexed).toBe(false);
    expect(log.indexDamage?.offset).toBe(at);
    expect(log.lastStep).toBe(6);
    expect(stateAt(log, 6).stateHash).toBe(log.readStep(6).stateHash);
    expect(() => log.checkIntegrity()).toThrow(/corrupt at byte \d+: the index is damaged/);
    // the trailer damaged instead: the same
    const t = Buffer.from(bytesA);
    t[t.length - 16] ^= 1;
    const lt = openLogBytes(t);
    expect(lt.indexDamage?.what).toMatch(/trailer is damaged/);
    expect(() => lt.checkIntegrity()).toThrow(LogCorruptError);
  });

  it("a header whose parameter table has one element too many: replay and verify name the header, exit 3", () => {
    const h = A[0] as HeaderRecord;
    const params = h.params.map((p) => ({ ...p, shape: [...p.shape] }));
    const last = params[params.length - 1];
    last.shape[0] += 1;
    last.size += 1;
    const bytes = assemble([{ ...h, params }, ...A.slice(1)]);
    for (const use of [(log: LogReader) => stateAt(log, 3), (log: LogReader) => verifyLog(log)]) {
      const e = refusal(bytes, use);
      expect(e?.message).toMatch(/header\.params\[\d+\] is head\.bias \[17\] at \d+, the model of its config has head\.bias \[16\]/);
      expect(e!.exitCode).toBe(3);
    }
    // and one whose sizes do not add up is refused on opening
    const bad = params.map((p) => ({ ...p }));
    bad[1].size += 1;
    expect(refusal(assemble([{ ...h, params: bad }, ...A.slice(1)]))?.message).toMatch(/header\.params\[1\].*size/);
  });
});

describe('diff of logs that differ', () => {
  it('a log that lacks a step is never "identical" to the whole one: opening it is corruption', () => {
    const gap = join(dir, 'gap.weft');
    writeFileSync(gap, assemble(A.filter((_, i) => i !== where(A, 'step', 4))));
    expect(() => diff(openLog(gap), openLog(pathA))).toThrow(/step 5 follows step 3: step 4 is missing/);
  });

  it('summary logs of different seeds part at step 0, with per-layer parameter distances at the keyframes both have', () => {
    const sa = join(dir, 'sa.weft');
    const sb = join(dir, 'sb.weft');
    recordRun(sa, cfg({ record: { mode: 'summary', keyframeEvery: 3 } }));
    recordRun(sb, cfg({ seed: 2, record: { mode: 'summary', keyframeEvery: 3 } }));
    const r = diff(openLog(sa), openLog(sb));
    expect(r.firstDivergence).toMatchObject({ step: 0, stream: 'weight', field: 'params' });
    const at = (s: number) => r.steps.find((x) => x.step === s)!;
    for (const s of [3, 6]) for (const l of at(s).layers!) expect(l.paramDist, `step ${s} ${l.layer}`).toBeGreaterThan(0);
    for (const l of at(4).layers!) expect(l.paramDist).toBeNull();
    // and the same distances as full logs of the two runs give
    const fa = join(dir, 'fa.weft');
    const fb = join(dir, 'fb.weft');
    recordRun(fa, cfg());
    recordRun(fb, cfg({ seed: 2 }));
    const f = diff(openLog(fa), openLog(fb));
    expect(at(6).layers!.map((l) => l.paramDist)).toEqual(f.steps.find((x) => x.step === 6)!.layers!.map((l) => l.paramDist));
  });
});
