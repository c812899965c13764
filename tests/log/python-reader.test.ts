// docs/format.md is complete enough to write a reader from: python/weft_read.py (Python, numpy,
// msgpack) was, and it must read every record and array exactly as weft's own reader does — and
// check what it reads as weft's readers do (the reader contract: frames, trailer and index, the
// records' order, keyframes and step hashes, the end record, the parameter table), so that it
// never answers with data the log does not hold.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../../src/engine/hash.ts';
import { decodeFloats } from '../../src/log/codec.ts';
import { crc32 } from '../../src/log/crc32.ts';
import { bytesOf, f64From, fileHeader, trailer, viewAs } from '../../src/log/format.ts';
import { pack, unpack } from '../../src/log/msgpack.ts';
import { openLog } from '../../src/log/reader.ts';
import { KIND_CODES, type RecordKind } from '../../src/log/records.ts';
import { stepMasks } from '../../src/log/steps.ts';
import { stateAt } from '../../src/replay/state.ts';
import { ROOT } from '../helpers.ts';
import { config, MICRO, recordRun, tempDir } from './helpers.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(ROOT, 'python/weft_read.py');
const hasDeps = spawnSync(PYTHON, ['-c', 'import numpy, msgpack'], { encoding: 'utf8' }).status === 0;
if (process.env.CI && !hasDeps) throw new Error('CI is set but python3-numpy or python3-msgpack is missing: .ci/run must install them');

function read(args: string[]) {
  return spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });
}

interface Outcome {
  code: number | 'crash';
  stdout: string;
  stderr: string;
}

// Runs the command's main() once per argument list in one Python process (a process per log
// would cost more than reading it): what it printed and returned, or the traceback that escaped.
const DRIVER = `
import contextlib, io, json, sys, traceback
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})
import weft_read
results = []
for args in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            sys.argv = ["weft_read.py", *args]
            code = weft_read.main()
    except SystemExit as e:
        code = e.code
    except BaseException:
        code = "crash"
        err.write(traceback.format_exc())
    results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
json.dump(results, sys.stdout)
`;

function readAll(argLists: string[][]): Outcome[] {
  const r = spawnSync(PYTHON, ['-c', DRIVER], { input: JSON.stringify(argLists), encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Outcome[];
}

// ---- logs built from frames, as damage or a splice would leave them --------------------------

/** A log's frames (length, checksum, body), in file order, the index not among them. */
function framesOf(path: string): Uint8Array[] {
  const bytes = new Uint8Array(readFileSync(path));
  const log = openLog(path);
  try {
    return log.frames.map((f) => bytes.slice(f.offset, f.end));
  } finally {
    log.close();
  }
}

function recordOf(frame: Uint8Array): Record<string, unknown> {
  return unpack(frame.subarray(8)) as Record<string, unknown>;
}

/** A frame holding this record, its checksum intact. */
function frameOf(record: unknown): Uint8Array {
  const body = pack(record);
  const out = new Uint8Array(8 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length, true);
  dv.setUint32(4, crc32(body), true);
  out.set(body, 8);
  return out;
}

/** The index frame listing these frames (override: fields to change, to make it disagree). */
function indexOf(frames: Uint8Array[], override: (entries: { offset: number; kind: number; step: number }[]) => void = () => {}): Uint8Array {
  let at = 16;
  const entries = frames.map((f) => {
    const r = recordOf(f);
    const e = { offset: at, kind: KIND_CODES[r.kind as RecordKind], step: typeof r.step === 'number' ? r.step : -1 };
    at += f.length;
    return e;
  });
  override(entries);
  return frameOf({
    kind: 'index',
    offsets: bytesOf(Float64Array.from(entries, (e) => e.offset)),
    kinds: Uint8Array.from(entries, (e) => e.kind),
    steps: bytesOf(Float64Array.from(entries, (e) => e.step)),
  });
}

/** A log of these frames: closed (an index that agrees with them, and the trailer) or killed (neither). */
function logOf(frames: Uint8Array[], ending: 'closed' | 'killed', index: Uint8Array = indexOf(frames)): Uint8Array {
  const parts = [fileHeader(1), ...frames];
  if (ending === 'closed') parts.push(index, trailer(16 + frames.reduce((s, f) => s + f.length, 0)));
  return new Uint8Array(Buffer.concat(parts)); // a copy: a Buffer's slice() would share its bytes
}

function kindsOf(frames: Uint8Array[]): string[] {
  return frames.map((f) => { const r = recordOf(f); return typeof r.step === 'number' ? `${r.kind} ${r.step}` : String(r.kind); });
}

/** Damage as the contract reports it: exit 3, one line naming the byte offset (and record). */
const CORRUPT_LINE = /^weft_read: .*: corrupt at byte \d+( \(record \d+\))?: [^\n]+\n$/;

interface Tally {
  /** exit 0 with the original's data, or (a cut log) the steps before the cut */
  same: number;
  prefix: number;
  /** exit 3, one line naming the byte offset */
  corrupt: number;
  /** exit 2: a file cut too short to be a log */
  notALog: number;
  /** what breaks the contract, by case: exit 0 with other data, a traceback, an error line without its offset */
  otherData: string[];
  traceback: string[];
  badLine: string[];
}

/**
 * Holds every outcome to the contract: damage reported (exit 3, one line with its offset; a file
 * too short to be a log, exit 2), or exit 0 with exactly the original log's data — a cut log's
 * steps before the cut, when `cut` — never a traceback, never other data.
 */
function holdToOriginal(outcomes: Outcome[], original: string, what: (i: number) => string, cut = false): Tally {
  const want = JSON.parse(original) as { scenario: string; mode: string; steps: unknown[] };
  const t: Tally = { same: 0, prefix: 0, corrupt: 0, notALog: 0, otherData: [], traceback: [], badLine: [] };
  outcomes.forEach((o, i) => {
    if (o.code === 'crash' || /Traceback/.test(o.stderr)) t.traceback.push(what(i));
    else if (o.code === 0) {
      const got = JSON.parse(o.stdout) as typeof want;
      const n = got.steps.length;
      const same = got.scenario === want.scenario && got.mode === want.mode;
      if (same && JSON.stringify(got.steps) === JSON.stringify(want.steps)) t.same++;
      else if (same && cut && n < want.steps.length && JSON.stringify(got.steps) === JSON.stringify(want.steps.slice(0, n))) t.prefix++;
      else t.otherData.push(`${what(i)}: ${n} steps`);
    } else if (o.code === 2 && cut && /not a weft log/.test(o.stderr)) t.notALog++;
    else if (o.code === 3 && CORRUPT_LINE.test(o.stderr)) t.corrupt++;
    else t.badLine.push(`${what(i)}: exit ${o.code}, ${o.stderr.trim()}`);
  });
  // the cases that break it: how many of how many, and the first few
  const broken = (cases: string[]) => `${cases.length} of ${outcomes.length}${cases.length ? `, e.g. ${cases.slice(0, 3).join('; ')}` : ''}`;
  expect({ otherData: broken(t.otherData), traceback: broken(t.traceback), badLine: broken(t.badLine) }).toEqual({ otherData: broken([]), traceback: broken([]), badLine: broken([]) });
  return t;
}

describe.skipIf(!hasDeps)('a reader written from docs/format.md', () => {
  const dir = tempDir();
  for (const mode of ['full', 'compact'] as const) {
    it(`reads a ${mode} log as weft does: scalars, tokens, norms, masks, arrays, state hashes`, () => {
      const path = join(dir, `${mode}.weft`);
      recordRun(path, config({ ...MICRO, steps: 5, record: { mode, keyframeEvery: 2 } }));
      const r = read([path, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const py = JSON.parse(r.stdout) as { mode: string; steps: Record<string, number | string>[] };
      const log = openLog(path);
      try {
        const expected = log.stepNumbers.map((n) => {
          const s = log.readStep(n);
          const masks = stepMasks(log.header, s);
          const row: Record<string, number | string> = {
            step: n, loss: f64From(s.loss), lr: f64From(s.lr), gradNormGlobal: f64From(s.gradNormGlobal), clipFactor: f64From(s.clipFactor),
            gradNormPerLayer: hashBytes(s.gradNormPerLayer), inputs: hashBytes(s.inputs), stateHash: s.stateHash,
          };
          // stored masks only (a compact log regenerates them from the seed: no bytes to read)
          if (s.masks && masks) row.masks = hashBytes(...log.header.dropoutSites.map((site) => masks.get(site)!));
          if (s.grads) {
            const g = new Float32Array(log.header.params.reduce((a, p) => a + p.size, 0));
            decodeFloats(s.grads, g, null);
            row.grads = hashBytes(g);
          }
          if (mode === 'full') row.params = hashBytes(stateAt(log, n).params);
          return row;
        });
        expect(py.mode).toBe(mode);
        expect(py.steps).toEqual(expected);
        expect(expected.some((row) => 'masks' in row)).toBe(mode === 'full');
      } finally {
        log.close();
      }
    });
  }

  it('reads attention probes (format 2) as weft does', () => {
    const path = join(dir, 'probes.weft');
    recordRun(path, config({ model: { nLayers: 2, nHeads: 2, dModel: 8, dFF: 16 }, data: { sentences: 50, batchSize: 2 }, steps: 3, record: { mode: 'compact', keyframeEvery: 100 }, probe: { every: 2 } }));
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})`,
      'import numpy as np, weft_read',
      `log = weft_read.WeftLog(${JSON.stringify(path)})`,
      'out = {}',
      'for n in sorted(log.probes):',
      '    out[n] = [{"ids": p["ids"].tolist(), "tri": [float(p["attention"][l, h, q, k]) for l in range(p["attention"].shape[0]) for h in range(p["attention"].shape[1]) for q in range(len(p["ids"])) for k in range(q + 1)]} for p in log.probe(n)]',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const py = JSON.parse(r.stdout) as Record<string, { ids: number[]; tri: number[] }[]>;
    const log = openLog(path);
    try {
      const mine = Object.fromEntries(log.readProbes().map((p) => [p.step, p.ids.map((ids, i) => ({ ids: Array.from(viewAs(ids, Int32Array)), tri: Array.from(viewAs(p.attention[i], Float64Array)) }))]));
      expect(Object.keys(mine)).toEqual(['0', '2', '3']);
      expect(py).toEqual(mine);
    } finally {
      log.close();
    }
  });

  it('rebuilds every state of a compact log with weft’s optimizers, as weft does (and so checks every step’s hash)', () => {
    const cases = [
      ...['sgd', 'momentum', 'adam', 'adamw', 'lion'].map((kind) => ({ kind, dtype: 'float32' as const })),
      { kind: 'adamw', dtype: 'float64' as const },
    ];
    const paths = cases.map(({ kind, dtype }) => {
      const path = join(dir, `compact-${kind}-${dtype}.weft`);
      recordRun(path, config({ ...MICRO, dtype, steps: 5, optim: { kind, weightDecay: 0.01, lr: 0.01 }, record: { mode: 'compact', keyframeEvery: 4 } }));
      return path;
    });
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})`,
      'import weft_read',
      'out = []',
      `for path in ${JSON.stringify(paths)}:`,
      '    log = weft_read.WeftLog(path)',
      '    out.append([[weft_read.digest(s[k]) for k in ("params", "m", "v")] + [s["optimT"]] for s in (log.state_at(n) for n in range(6))])',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const py = JSON.parse(r.stdout) as unknown[];
    const mine = paths.map((path) => {
      const log = openLog(path);
      try {
        return [0, 1, 2, 3, 4, 5].map((n) => {
          const s = stateAt(log, n);
          return [hashBytes(s.params), hashBytes(s.m), hashBytes(s.v), s.optimT];
        });
      } finally {
        log.close();
      }
    });
    expect(py).toEqual(mine);
  });

  it('exports a state as .npz, and names corruption with its offset and record (exit 3)', () => {
    const path = join(dir, 'full-npz.weft');
    recordRun(path, config({ ...MICRO, steps: 3, record: { mode: 'full', keyframeEvery: 2 } }));
    const npz = join(dir, 'state.npz');
    const ok = read([path, '--npz', npz, '--step', '3']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(npz).subarray(0, 2).toString()).toBe('PK'); // a zip archive
    const bytes = readFileSync(path);
    bytes[200] ^= 0x40; // inside the header record
    const bad = join(dir, 'flipped.weft');
    writeFileSync(bad, bytes);
    const r = read([bad]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/corrupt at byte 16 \(record 0\): checksum mismatch/);
  });
});

describe.skipIf(!hasDeps)('the Python reader checks what it reads (the reader contract)', () => {
  const dir = tempDir();
  const micro = (mode: 'full' | 'compact' | 'summary', seed: number) => config({ ...MICRO, seed, steps: 4, record: { mode, keyframeEvery: 2 } });
  const runs = new Map<string, string>();
  /** A recorded run of the micro model (recorded once per test file). */
  const run = (mode: 'full' | 'compact' | 'summary', seed = 1): string => {
    const key = `${mode}-${seed}`;
    if (!runs.has(key)) {
      const path = join(dir, `${key}.weft`);
      recordRun(path, micro(mode, seed));
      runs.set(key, path);
    }
    return runs.get(key)!;
  };
  let written = 0;
  const save = (bytes: Uint8Array): string => {
    const path = join(dir, `case-${written++}.weft`);
    writeFileSync(path, bytes);
    return path;
  };

  it('a log rebuilt from its own frames is the log, byte for byte (the helpers below are sound)', () => {
    const path = run('full');
    expect(Buffer.from(logOf(framesOf(path), 'closed')).equals(readFileSync(path))).toBe(true);
    expect(kindsOf(framesOf(path))).toEqual(['header', 'keyframe 0', 'step 1', 'step 2', 'keyframe 2', 'step 3', 'step 4', 'keyframe 4', 'end']);
  });

  it('a flipped bit in any frame’s length is damage at that frame, never a torn tail', () => {
    const path = run('full');
    const good = new Uint8Array(readFileSync(path));
    const log = openLog(path);
    const offsets = log.frames.map((f) => f.offset);
    log.close();
    const indexAt = new DataView(good.buffer).getFloat64(good.length - 8, true);
    const killed = logOf(framesOf(path), 'killed');
    const cases: { bytes: Uint8Array; at: number }[] = [];
    for (const [bytes, frames] of [[good, [...offsets, indexAt]], [killed, offsets]] as const) {
      for (const at of frames) {
        for (let bit = 0; bit < 32; bit++) {
          const b = bytes.slice();
          b[at + (bit >> 3)] ^= 1 << (bit & 7);
          cases.push({ bytes: b, at });
        }
      }
    }
    const outcomes = readAll(cases.map((c) => [save(c.bytes), '--json']));
    outcomes.forEach((o, i) => {
      expect(o.code, `length bit ${i % 32} of the frame at ${cases[i].at}: ${o.stdout.slice(0, 80)}`).toBe(3);
      expect(o.stderr).toMatch(CORRUPT_LINE);
      expect(o.stderr).toContain(`corrupt at byte ${cases[i].at} `);
    });
    expect(outcomes).toHaveLength(32 * (2 * offsets.length + 1));
  });

  it('a closed log’s trailer and index are checked: one that disagrees with the frames is damage', () => {
    const frames = framesOf(run('full'));
    const body = 16 + frames.reduce((s, f) => s + f.length, 0);
    const withTrailer = (index: Uint8Array, at: number) => Buffer.concat([fileHeader(1), ...frames, index, trailer(at)]);
    const cases: Record<string, Uint8Array> = {
      'the index gives step 3 for step 2’s record': withTrailer(indexOf(frames, (e) => { e[3].step = 3; }), body),
      'the index calls a keyframe a step': withTrailer(indexOf(frames, (e) => { e[4].kind = KIND_CODES.step; }), body),
      'the index gives a wrong offset': withTrailer(indexOf(frames, (e) => { e[5].offset += 8; }), body),
      'the index leaves out the end record': withTrailer(indexOf(frames.slice(0, -1)), body),
      'the trailer points at a step record': withTrailer(indexOf(frames), 16 + frames[0].length + frames[1].length),
      'the trailer points past the index': withTrailer(indexOf(frames), body + 8),
      'a frame between the index and the trailer': Buffer.concat([fileHeader(1), ...frames, indexOf(frames), frames[2], trailer(body)]),
      'the trailer’s magic is damaged': (() => { const b = withTrailer(indexOf(frames), body); b[b.length - 16] ^= 4; return b; })(),
    };
    const outcomes = readAll(Object.values(cases).map((b) => [save(b), '--json']));
    Object.keys(cases).forEach((what, i) => {
      expect(outcomes[i].code, `${what}: ${outcomes[i].stdout.slice(0, 80)}`).toBe(3);
      expect(outcomes[i].stderr, what).toMatch(CORRUPT_LINE);
    });
  });

  it('a step record missing, duplicated, relabelled or out of order is damage, with or without an index', () => {
    const frames = framesOf(run('full'));
    // header, keyframe 0, step 1, step 2, keyframe 2, step 3, step 4, keyframe 4, end
    const relabel = (f: Uint8Array, step: number) => frameOf({ ...recordOf(f), step });
    const layouts: Record<string, Uint8Array[]> = {
      'step 2 missing': [frames[0], frames[1], frames[2], frames[4], frames[5], frames[6], frames[7], frames[8]],
      'step 4 missing (the end record says 4 steps)': [...frames.slice(0, 6), frames[7], frames[8]],
      'step 2 twice': [...frames.slice(0, 4), frames[3], ...frames.slice(4)],
      'steps 2 and 3 swapped': [frames[0], frames[1], frames[2], frames[5], frames[4], frames[3], frames[6], frames[7], frames[8]],
      'step 3 relabelled 2': [...frames.slice(0, 5), relabel(frames[5], 2), ...frames.slice(6)],
      'step 2 relabelled 3, step 3 dropped': [...frames.slice(0, 3), relabel(frames[3], 3), frames[4], frames[6], frames[7], frames[8]],
      'keyframe 2 twice': [...frames.slice(0, 5), frames[4], ...frames.slice(5)],
      'keyframe 2 after step 3': [frames[0], frames[1], frames[2], frames[3], frames[5], frames[4], frames[6], frames[7], frames[8]],
      'the end record before the last keyframe': [...frames.slice(0, 7), frames[8], frames[7]],
      'a second header': [frames[0], frames[1], frames[0], ...frames.slice(2)],
    };
    const cases: [string, Uint8Array][] = [];
    for (const [what, fs] of Object.entries(layouts)) {
      cases.push([`${what}, index rewritten`, logOf(fs, 'closed')], [`${what}, no index`, logOf(fs, 'killed')]);
    }
    // relabelled in the record but not in the (original) index
    cases.push(['step 3 relabelled 5, the index as written', logOf([...frames.slice(0, 5), relabel(frames[5], 5), ...frames.slice(6)], 'closed', indexOf(frames))]);
    const outcomes = readAll(cases.map(([, b]) => [save(b), '--json']));
    cases.forEach(([what], i) => {
      expect(outcomes[i].code, `${what}: ${outcomes[i].stdout.slice(0, 80)}`).toBe(3);
      expect(outcomes[i].stderr, what).toMatch(CORRUPT_LINE);
    });
  });

  it('a frame spliced from another run of the same model (checksums intact) is damage', () => {
    const cases: [string, Uint8Array][] = [];
    for (const mode of ['full', 'compact'] as const) {
      const a = framesOf(run(mode, 1));
      const b = framesOf(run(mode, 2));
      expect(kindsOf(b)).toEqual(kindsOf(a));
      // header, keyframe 0, step 1, step 2, keyframe 2, step 3, step 4, keyframe 4, end
      const spliced = (i: number) => a.map((f, j) => (j === i ? b[i] : f));
      for (const [what, i] of [['keyframe 0', 1], ['keyframe 2', 4], ['keyframe 4', 7], ['step 3', 5], ['step 1', 2], ['the end record', 8]] as const) {
        for (const ending of ['closed', 'killed'] as const) cases.push([`${mode}: ${what} of seed 2, ${ending}`, logOf(spliced(i), ending)]);
      }
    }
    const outcomes = readAll(cases.map(([, b]) => [save(b), '--json']));
    cases.forEach(([what], i) => {
      expect(outcomes[i].code, `${what}: ${outcomes[i].stdout.slice(0, 80)}`).toBe(3);
      expect(outcomes[i].stderr, what).toMatch(CORRUPT_LINE);
    });
  });

  it('a record that passes its checksum but not its schema or the header’s table is damage: one line, its offset and record', () => {
    const frames = framesOf(run('full'));
    const step2 = recordOf(frames[3]);
    const header = recordOf(frames[0]) as { params: { offset: number }[] };
    const params = step2.params as Uint8Array;
    // the first plane's first block of step 2's weight update, its bytes shifted by one
    const damaged = params.slice();
    damaged[10 + 4 * new DataView(params.buffer, params.byteOffset).getUint32(6, true) + 4 + 40] ^= 0xff;
    const withStep2 = (r: Record<string, unknown>) => logOf([...frames.slice(0, 3), frameOf(r), ...frames.slice(4)], 'closed');
    const cases: Record<string, [Uint8Array, number, number]> = {
      'step 2 without its loss': [withStep2(Object.fromEntries(Object.entries(step2).filter(([k]) => k !== 'loss'))), 3, 0],
      'step 2’s loss as a string': [withStep2({ ...step2, loss: 'low' }), 3, 0],
      'step 2’s per-layer norms not whole float64s': [withStep2({ ...step2, gradNormPerLayer: (step2.gradNormPerLayer as Uint8Array).subarray(1) }), 3, 0],
      'step 2’s weight update coding fewer values': [withStep2({ ...step2, params: (() => { const p = params.slice(); p[2] ^= 1; return p; })() }), 3, 0],
      'step 2’s weight update with a damaged rANS block': [withStep2({ ...step2, params: damaged }), 3, 0],
      'a record of an unknown kind': [logOf([...frames.slice(0, 3), frameOf({ kind: 'note', step: 1 }), ...frames.slice(3)], 'closed'), 3, 0],
      'a parameter table whose offsets have a gap': [logOf([frameOf({ ...header, params: header.params.map((p, i) => (i === 1 ? { ...p, offset: p.offset + 1 } : p)) }), ...frames.slice(1)], 'closed'), 0, 0],
    };
    const outcomes = readAll(Object.values(cases).map(([b]) => [save(b), '--json']));
    Object.entries(cases).forEach(([what, [, record]], i) => {
      const o = outcomes[i];
      expect(o.code, `${what}: ${o.stderr}`).toBe(3);
      expect(o.stderr, what).toMatch(CORRUPT_LINE);
      const offset = 16 + frames.slice(0, record).reduce((s, f) => s + f.length, 0);
      expect(o.stderr, what).toContain(`corrupt at byte ${offset} (record ${record})`);
    });
  });

  it('bad input is one line and exit 2: no such file, not a log, numpy or msgpack missing', () => {
    const missing = read([join(dir, 'no-such.weft')]);
    expect([missing.status, missing.stderr]).toEqual([2, `weft_read: ${join(dir, 'no-such.weft')}: no such file\n`]);
    const text = save(new TextEncoder().encode('not a log at all, just text\n'));
    const notLog = read([text]);
    expect(notLog.status).toBe(2);
    expect(notLog.stderr).toMatch(/^weft_read: .*: not a weft log \(bytes 0…7 are not "WEFTLOG\\n"\)\n$/);
    for (const module of ['numpy', 'msgpack']) {
      // the module made unimportable, as in a python3 without it
      const r = spawnSync(PYTHON, ['-c', `import runpy, sys; sys.modules[${JSON.stringify(module)}] = None; sys.argv = ["weft_read.py", ${JSON.stringify(run('full'))}]; runpy.run_path(${JSON.stringify(SCRIPT)}, run_name="__main__")`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^weft_read: this python3 \\(.*\\) has no ${module} module; install python3-${module} \\(Debian, for /usr/bin/python3\\) or \`.* -m pip install ${module}\`\\n$`));
    }
  });
});

describe.skipIf(!hasDeps)('fuzz: the Python reader never answers with data the log does not hold', () => {
  const dir = tempDir();
  const cfg = (mode: 'full' | 'compact', seed: number) => config({ ...MICRO, seed, steps: 4, record: { mode, keyframeEvery: 2 } });
  let written = 0;
  const save = (bytes: Uint8Array): string => {
    const path = join(dir, `m-${written++}.weft`);
    writeFileSync(path, bytes);
    return path;
  };
  const original = (bytes: Uint8Array) => readAll([[save(bytes), '--json']])[0].stdout;
  const flip = (bytes: Uint8Array, bit: number) => {
    const b = bytes.slice();
    b[bit >> 3] ^= 1 << (bit & 7);
    return b;
  };
  const recorded = new Map<string, { good: Uint8Array; frames: Uint8Array[]; starts: number[]; indexAt: number; output: string }>();
  /** A recorded micro run: its bytes, frames, their offsets, the index's, and the reader's output. */
  const base = (mode: 'full' | 'compact' = 'full', seed = 1) => {
    const key = `${mode}-${seed}`;
    if (!recorded.has(key)) {
      const path = join(dir, `${key}.weft`);
      recordRun(path, cfg(mode, seed));
      const good = new Uint8Array(readFileSync(path));
      const frames = framesOf(path);
      const starts = frames.map((_, i) => 16 + frames.slice(0, i).reduce((s, f) => s + f.length, 0));
      const output = original(good);
      expect(JSON.parse(output).steps).toHaveLength(4);
      recorded.set(key, { good, frames, starts, indexAt: starts.at(-1)! + frames.at(-1)!.length, output });
    }
    return recorded.get(key)!;
  };

  it('flips of every frame’s length field, in a closed and in a killed compact log', () => {
    const { good, frames, starts, indexAt, output } = base('compact');
    const killed = logOf(frames, 'killed');
    const cases: [Uint8Array, string][] = [];
    for (const [bytes, ats, name] of [[good, [...starts, indexAt], 'closed'], [killed, starts, 'killed']] as const) {
      for (const at of ats) for (let bit = 0; bit < 32; bit++) cases.push([flip(bytes, 8 * at + bit), `${name}: length bit ${bit} of the frame at byte ${at}`]);
    }
    const outcomes = readAll(cases.map(([b]) => [save(b), '--json']));
    const tally = holdToOriginal(outcomes, output, (i) => cases[i][1]);
    expect(tally.corrupt).toBe(cases.length);
  });

  it('truncations at every frame boundary and between, of a closed log and a killed one', () => {
    const { good, frames, starts, indexAt, output } = base();
    const killed = logOf(frames, 'killed');
    const cuts = new Set<number>();
    for (const at of [...starts, indexAt, good.length - 16]) for (const d of [-1, 0, 1, 9]) cuts.add(at + d);
    for (let n = 0; n < good.length; n += 4001) cuts.add(n);
    const cases: [Uint8Array, number][] = [];
    for (const n of [...cuts].filter((n) => n >= 0 && n < good.length).sort((a, b) => a - b)) {
      cases.push([good.subarray(0, n), n]);
      if (n < killed.length) cases.push([killed.subarray(0, n), n]);
    }
    const outcomes = readAll(cases.map(([b]) => [save(b), '--json']));
    const tally = holdToOriginal(outcomes, output, (i) => `cut at ${cases[i][1]}`, true);
    // a cut at a frame boundary is a run killed there: its steps so far read
    expect(tally.prefix).toBeGreaterThan(2 * starts.length);
    expect(tally.corrupt).toBeGreaterThan(0);
  });

  it('a log killed while closing (after its index, within its trailer) reads whole, as weft reads it', () => {
    const { good, output } = base();
    for (const cut of [16, 9, 1]) {
      const r = read([save(good.subarray(0, good.length - cut)), '--json']);
      expect(r.status, `${cut} bytes of the trailer missing: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(output);
    }
  });

  it('bit flips in the trailer and the index frame', () => {
    const { good, indexAt, output } = base();
    const bits: number[] = [];
    for (let b = 8 * (good.length - 16); b < 8 * good.length; b++) bits.push(b);
    for (let b = 8 * indexAt; b < 8 * (good.length - 16); b += 5) bits.push(b);
    const outcomes = readAll(bits.map((b) => [save(flip(good, b)), '--json']));
    const tally = holdToOriginal(outcomes, output, (i) => `bit ${bits[i]}`);
    expect(tally.corrupt).toBe(bits.length);
  });

  it('keyframe frames spliced from another run of the same model, the index rewritten or the trailer dropped', () => {
    const cases: [Uint8Array, string, string][] = [];
    for (const mode of ['full', 'compact'] as const) {
      const a = base(mode, 1);
      const b = base(mode, 2);
      a.frames.forEach((f, i) => {
        if (recordOf(f).kind !== 'keyframe') return;
        const spliced = a.frames.map((g, j) => (j === i ? b.frames[i] : g));
        for (const ending of ['closed', 'killed'] as const) cases.push([logOf(spliced, ending), a.output, `${mode}: ${kindsOf(a.frames)[i]} of another run, ${ending}`]);
      });
    }
    const outcomes = readAll(cases.map(([b]) => [save(b), '--json']));
    outcomes.forEach((o, i) => holdToOriginal([o], cases[i][1], () => cases[i][2]));
    expect(outcomes.map((o) => o.code)).toEqual(cases.map(() => 3));
    expect(cases).toHaveLength(2 * 3 * 2); // full and compact, keyframes 0, 2 and 4, two endings
  });
});
