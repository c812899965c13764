import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog, openLogBytes, type LogReader } from '../../src/log/reader.ts';
import { LogCorruptError, LogFormatError, WeftError } from '../../src/errors.ts';
import { stateAt } from '../../src/replay/state.ts';
import { stepMasks } from '../../src/log/steps.ts';
import { UsageError } from '../../src/errors.ts';
import { keyedStream } from '../../src/rng/keyed.ts';
import { hashBytes } from '../../src/engine/hash.ts';
import { pack } from '../../src/log/msgpack.ts';
import { verifyLog } from '../../src/replay/verify.ts';
import { checkLog } from '../../src/replay/check.ts';
import { diff } from '../../src/diff/diff.ts';
import { ViewerServer } from '../../src/view/server.ts';
import { assembleLog, killedPrefix, MUTATIONS, parseLog, subjectOf, type Mutation, type Subject } from '../../scripts/fault-injection.ts';
import { config, MICRO, pythonReadJson, pythonReaderAvailable, recordRun, tempDir, type PythonRead } from './helpers.ts';

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

// ---- every reader, on damaged logs (issue 20) ------------------------------------------------------
//
// A reader of a damaged log may refuse (LogCorruptError, exit 3) or return exactly what it returns
// for the intact log; nothing else. A truncated log is read as a killed run's: exactly what the
// intact log cut after its last complete frame gives. verify and diff may also report a difference
// of a log whose records do differ — but never vouch ("reproduced", "identical") for one.

type Read =
  | { kind: 'refused'; why: string }
  | { kind: 'crashed'; why: string }
  /** data: what the reader returned, as a string; vouches: it says the whole log is right; differs: it reports a difference */
  | { kind: 'data'; data: string; vouches?: boolean; differs?: boolean };

const digest = (...parts: (ArrayBufferView | string)[]) => hashBytes(...parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p)));

/** How an exception from a reader counts: corruption named (a refusal), or anything else (a crash). */
function caught(e: unknown): Read {
  if (e instanceof LogCorruptError || (e instanceof WeftError && e.exitCode === 3)) return { kind: 'refused', why: e.message };
  return { kind: 'crashed', why: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) };
}

function reading(bytes: Uint8Array, f: (log: LogReader) => Read): Read {
  let log: LogReader;
  try {
    log = openLogBytes(bytes);
  } catch (e) {
    return caught(e);
  }
  try {
    return f(log);
  } catch (e) {
    return caught(e);
  } finally {
    log.close();
  }
}

/** The in-process readers, each as its command composes it. */
const READERS: Record<string, (bytes: Uint8Array, original: Uint8Array) => Read> = {
  // what inspect, verify, diff and sweeps trust: the integrity check, then every record
  checkLog: (bytes) => reading(bytes, (log) => {
    checkLog(log);
    const records = log.frames.map((f) => `${f.kind} ${f.step} ${digest(pack(log.readRecord(f)))}`);
    return { kind: 'data', data: JSON.stringify({ start: log.header.startStep, last: log.lastStep, records }) };
  }),
  // replay and export: the state after every step
  stateAt: (bytes) => reading(bytes, (log) => {
    const states: string[] = [];
    for (let n = log.header.startStep; n <= log.lastStep; n++) {
      const s = stateAt(log, n);
      states.push(`${n} ${s.optimT} ${s.stateHash} ${hashBytes(s.params, s.m, s.v)}`);
    }
    return { kind: 'data', data: JSON.stringify(states) };
  }),
  // weft verify: the whole-log check, then the re-execution (verifyLog does both)
  verifyLog: (bytes) => reading(bytes, (log) => {
    const r = verifyLog(log);
    return { kind: 'data', data: JSON.stringify(r), vouches: r.ok, differs: !r.ok };
  }),
  // weft diff against the intact log (diff checks both whole first)
  diff: (bytes, original) => reading(bytes, (log) => {
    const b = openLogBytes(original, 'original.weft');
    try {
      const r = diff(log, b);
      return { kind: 'data', data: JSON.stringify({ ...r, a: { ...r.a, file: '' } }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)), vouches: r.identical, differs: !r.identical };
    } finally {
      b.close();
    }
  }),
};

/** The viewer's JSON API, in-process: the damaged log (id 0) beside the intact one (id 1). */
async function viewerRead(path: string, originalPath: string, steps: number[]): Promise<Read> {
  let server: ViewerServer;
  try {
    server = new ViewerServer([path, originalPath]);
  } catch (e) {
    return caught(e);
  }
  const replies: { route: string; status: number; body: unknown }[] = [];
  try {
    const routes = ['/api/runs', '/api/runs/0/overview', '/api/runs/0/layers', ...steps.map((n) => `/api/runs/0/steps/${n}`), '/api/diff'];
    for (const route of routes) {
      let status: number;
      let body: unknown;
      try {
        const r = await server.handle(route, new URLSearchParams(route === '/api/diff' ? 'a=0&b=1' : ''));
        status = r.status;
        body = JSON.parse(r.body);
      } catch (e) {
        if (e instanceof LogCorruptError) return { kind: 'refused', why: `${route}: ${e.message}` };
        if (!(e instanceof WeftError)) return caught(e);
        status = 400; // how the server answers any other of weft's errors
        body = { error: e.message };
      }
      const text = JSON.stringify(body);
      if (status === 422 || /"kind":"corrupt"/.test(text)) return { kind: 'refused', why: `${route}: ${status} ${text.slice(0, 200)}` };
      replies.push({ route, status, body: withoutTimings(body) });
    }
  } finally {
    server.close();
  }
  const identical = (replies.at(-1)!.body as { identical?: boolean }).identical === true;
  return { kind: 'data', data: JSON.stringify(replies).replaceAll(path, 'LOG'), vouches: identical };
}

/** A reply without what varies from one request to the next (timings), and a killed run's log in one word (torn or not). */
function withoutTimings(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimings);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ((o.kind === 'torn' || o.kind === 'open') && 'readable' in o) return { kind: 'incomplete' };
    return Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'elapsedMs').map(([k, x]) => [k, withoutTimings(x)]));
  }
  return v;
}

function pythonRead(r: PythonRead): Read {
  if (r.code === 3) return { kind: 'refused', why: r.stderr.trim() };
  if (r.code === 0) return { kind: 'data', data: r.stdout };
  return { kind: 'crashed', why: `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-1)[0]}` };
}

/** Why a reader's answer to a damaged log is not allowed, or null when it is. */
function violation(got: Read, ref: Read, m: Mutation): string | null {
  if (got.kind === 'refused') return null;
  if (got.kind === 'crashed') return `crashed: ${got.why}`;
  if (ref.kind !== 'data') return `returned data, where the intact log's reader ${ref.kind === 'refused' ? 'refuses' : 'crashes'} (${ref.why.slice(0, 120)})`;
  if (got.data === ref.data) return got.vouches && !m.contentEqual ? 'vouched for it ("reproduced" / "identical"), though its records differ from the original\'s' : null;
  if (got.differs && !m.contentEqual) return null; // a difference reported, of a log that does differ
  return `returned other data than the intact log's: ${firstPart(got.data, ref.data)}`;
}

/** Where two strings first part, with a little of each. */
function firstPart(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const at = Math.max(0, i - 30);
  return `…${a.slice(at, i + 50)}… (intact: …${b.slice(at, i + 50)}…)`;
}

describe('every reader refuses a damaged log or reads exactly what the intact log holds', () => {
  const SEED = 20;
  for (const mode of ['full', 'compact', 'summary'] as const) {
    const cfg = (seed: number) => config({ ...MICRO, seed, steps: 4, record: { mode, keyframeEvery: 2 } });
    const originalPath = join(dir, `readers-${mode}.weft`);
    recordRun(originalPath, cfg(1));
    const donorPath = join(dir, `readers-${mode}-seed2.weft`);
    recordRun(donorPath, cfg(2));
    const original = subjectOf(readFileSync(originalPath));
    const donor = subjectOf(readFileSync(donorPath));
    const killed = killedPrefix(original, 3);
    // sampled, keyed: single-bit flips, truncations, length flips of a killed log, and whole frames of another run
    const plan: [string, number, Subject][] = [['bit flip', 12, original], ['truncation', 8, original], ['length flip, killed log', 4, killed], ['keyframe of another run', 3, original], ['step of another run', 2, original], ['first step of another run', 1, original]];
    const mutations = plan.flatMap(([kind, n, subject]) => {
      const r = keyedStream(SEED, 'test/fuzz-readers', mode, kind);
      return Array.from({ length: n }, (_, i) => {
        const m = MUTATIONS[kind].make(subject, donor, r);
        return { ...m, label: `${m.label} (${kind} ${i + 1})` };
      });
    });
    // the keyframe splices: every keyframe once, whatever the stream picked
    for (const f of original.parts.frames.filter((x) => x.kind === 'keyframe')) {
      const g = donor.parts.frames.find((x) => x.kind === 'keyframe' && x.step === f.step)!;
      mutations.push({ kind: 'keyframe of another run', label: `keyframe ${f.step} of seed 2`, bytes: assembleLog(original.parts.head, original.parts.frames.map((x) => (x === f ? g : x)), true), reference: original.bytes, step: f.step, contentEqual: false });
    }
    // each in a folder of its own, all named log.weft: the viewer shows a log by its name
    const files = mutations.map((m, i) => {
      const place = (what: string, bytes: Uint8Array) => {
        mkdirSync(join(dir, `readers-${mode}-${i}-${what}`));
        const p = join(dir, `readers-${mode}-${i}-${what}`, 'log.weft');
        writeFileSync(p, bytes);
        return p;
      };
      return { path: place('damaged', m.bytes), ref: place('reference', m.reference) };
    });
    const originalOf = (m: Mutation) => (m.kind === 'length flip, killed log' ? killed.bytes : original.bytes);
    const originalPathOf = (m: Mutation) => {
      if (m.kind !== 'length flip, killed log') return originalPath;
      const p = join(dir, `readers-${mode}-killed.weft`);
      writeFileSync(p, killed.bytes);
      return p;
    };

    for (const [name, read] of Object.entries(READERS)) {
      it(`${mode}: ${name}`, () => {
        // a reader that refused everything would pass the rest: the intact logs it must read
        expect(read(original.bytes, original.bytes)).toMatchObject({ kind: 'data' });
        expect(read(killed.bytes, killed.bytes)).toMatchObject({ kind: 'data' });
        const refs = new Map<string, Read>();
        const bad: string[] = [];
        for (const m of mutations) {
          const key = digest(m.reference);
          if (!refs.has(key)) refs.set(key, read(m.reference, originalOf(m)));
          const why = violation(read(m.bytes, originalOf(m)), refs.get(key)!, m);
          if (why) bad.push(`${m.label}: ${why}`);
        }
        expect(bad).toEqual([]);
      });
    }

    it(`${mode}: the viewer's API`, async () => {
      expect(await viewerRead(originalPath, originalPath, [1, 2, 3, 4])).toMatchObject({ kind: 'data' });
      const refs = new Map<string, Read>();
      const bad: string[] = [];
      for (const [i, m] of mutations.entries()) {
        const refLog = m.reference.length >= 16 ? parseLog(m.reference) : null;
        const steps = refLog ? refLog.frames.filter((f) => f.kind === 'step').map((f) => f.step) : [];
        const key = digest(m.reference);
        if (!refs.has(key)) refs.set(key, await viewerRead(files[i].ref, originalPathOf(m), steps));
        const got = await viewerRead(files[i].path, originalPathOf(m), steps);
        const ref = refs.get(key)!;
        const why = violation(got, ref, m);
        if (why) bad.push(`${m.label}: ${why}`);
      }
      expect(bad).toEqual([]);
    });

    it.skipIf(!pythonReaderAvailable)(`${mode}: the Python reader`, () => {
      expect(pythonRead(pythonReadJson([originalPath])[0])).toMatchObject({ kind: 'data' });
      const got = pythonReadJson(files.map((f) => f.path));
      const refs = pythonReadJson(files.map((f) => f.ref));
      const bad = mutations.flatMap((m, i) => {
        // R5 finds a foreign first step by re-executing it from the start keyframe: weft's
        // arithmetic, which a reader written from docs/format.md has for full logs only
        if (m.kind === 'first step of another run' && mode !== 'full') return [];
        const why = violation(pythonRead(got[i]), pythonRead(refs[i]), m);
        return why ? [`${m.label}: ${why}`] : [];
      });
      expect(bad).toEqual([]);
    });
  }
});
