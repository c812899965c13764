/**
 * Fault injection over weft's logs and their readers (issue 20): the measuring instrument.
 *
 *   npx tsx scripts/fault-injection.ts [--quick] [--json] [--seed S] [--only kills,mutations,concurrency,configs,sweeps]
 *
 * It runs against whatever tree it is in (the readers are this tree's sources) and prints, per
 * category, how often each reader got each outcome:
 *
 * - kills: `node bin/weft.mjs run` SIGKILLed at seeded random instants, in each record mode; then
 *   inspect, replay --to last, export, verify, diff against the uninterrupted run's log, the
 *   Python reader and `run --resume`. A killed log must read as the uninterrupted log's prefix up
 *   to its last complete frame, and resume must give the uninterrupted log byte for byte.
 * - mutations × readers: bit flips, truncations, whole frames of another run spliced in (index
 *   rewritten, every CRC consistent), steps deleted/duplicated/relabelled/swapped, a damaged
 *   index, trailer, end record or parameter table; readers inspect, replay, export, fork, verify,
 *   diff (against the original), the viewer's JSON API (a server on port 0) and the Python reader.
 * - concurrency: pairs of writers released at one instant on a stale lock, and `--resume`
 *   racing a writer that is finishing.
 * - configs: bad --set values and flags given to `weft run`.
 * - sweeps: a sweep's folder damaged (manifest deleted or garbled, a run's log damaged), then the
 *   same `weft sweep` again and `weft sweep report --json`.
 *
 * The readers of the mutation and kill passes run in one reader process (the CLI's main, called
 * in-process, one command at a time, its output captured; the viewer on port 0 in it), not one
 * `node bin/weft.mjs` each: hundreds of damaged logs in minutes. A reader that does not answer
 * within a minute is hung; that process is then killed and replaced.
 *
 * Outcomes: detected (exit 3 naming a byte offset) · no offset (exit 3 without one) · fine (the
 * output equals what the reader gives for the intact log) · WRONG (exit 0 and output that
 * differs; or verify/diff saying "reproduced"/"identical" of a log whose records differ) ·
 * other refusal (exit 1 or 2: a difference or bad input, not corruption) · crashed (exit 4,
 * another code, a stack trace, a dead process) · hung (no answer within the timeout).
 *
 * A truncated log is read like a killed run's: the reference is the intact log cut after its
 * last complete frame. Everything random comes from keyedStream(seed, …), so a run of the
 * harness tries the same faults again (the seed is printed); what a kill at a given instant
 * hits depends on the machine's speed.
 *
 * The log surgery (parseLog, assembleLog, MUTATIONS) is exported for tests/log/fuzz.test.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../src/log/crc32.ts';
import { FILE_HEADER_BYTES, FRAME_HEADER_BYTES, TRAILER_BYTES, TRAILER_MAGIC } from '../src/log/format.ts';
import { pack, unpack } from '../src/log/msgpack.ts';
import { KIND_CODES } from '../src/log/records.ts';
import { keyedStream, type KeyedStream } from '../src/rng/keyed.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const WEFT_BIN = join(ROOT, 'bin/weft.mjs');
export const PYTHON = '/usr/bin/python3';
const PY_READER = join(ROOT, 'python/weft_read.py');
/** tsx's loader, by its file URL: child processes run this file's TypeScript from any working directory */
const tsxLoader = () => import.meta.resolve('tsx');

/** The micro model (tests/log/helpers.ts MICRO) as `weft run` flags: logs of a few kilobytes per step. */
export const MICRO_SETS = [
  'model.nLayers=1', 'model.nHeads=2', 'model.dModel=8', 'model.dFF=16', 'model.vocabSize=16', 'model.contextLength=4',
  'data.corpus=random', 'data.batchSize=2', 'data.randomTokens=512',
].flatMap((s) => ['--set', s]);

export const RECORD_MODES = ['full', 'compact', 'summary'] as const;
export type RecordModeName = (typeof RECORD_MODES)[number];

// ---- log surgery ------------------------------------------------------------------------------

/** One frame of a log: its record's kind and step (−1 when it has none), its msgpack body, where it was. */
export interface LogFrame {
  kind: string;
  step: number;
  body: Uint8Array;
  offset: number;
  end: number;
}

/** An intact log taken apart: the 16-byte file header, the frames before the index, and where the index was (closed logs). */
export interface LogParts {
  head: Uint8Array;
  frames: LogFrame[];
  /** the index frame's offset in a closed log, else null (a killed run's) */
  indexOffset: number | null;
}

export interface IndexEntry {
  offset: number;
  kind: number;
  step: number;
}

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);

function startsWithBytes(b: Uint8Array, at: number, magic: Uint8Array): boolean {
  if (b.length - at < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[at + i] !== magic[i]) return false;
  return true;
}

export function recordOf(body: Uint8Array): Record<string, unknown> {
  return unpack(body) as Record<string, unknown>;
}

/** The step the writer files a record under in the index (writer.ts): its `step`, else −1. */
function indexStep(rec: Record<string, unknown>): number {
  return typeof rec.step === 'number' ? rec.step : -1;
}

/**
 * Takes an intact log apart (a torn tail is dropped, as a killed run's reader drops it). Throws
 * on a checksum mismatch: it reads the logs weft wrote, not damaged ones.
 */
export function parseLog(bytes: Uint8Array): LogParts {
  const frames: LogFrame[] = [];
  let offset = FILE_HEADER_BYTES;
  let indexOffset: number | null = null;
  while (offset + FRAME_HEADER_BYTES <= bytes.length) {
    if (bytes.length - offset === TRAILER_BYTES && startsWithBytes(bytes, offset, TRAILER_MAGIC) && indexOffset !== null) break;
    const len = u32(bytes, offset);
    if (offset + FRAME_HEADER_BYTES + len > bytes.length) break;
    const body = bytes.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + len);
    if (crc32(body) !== u32(bytes, offset + 4)) throw new Error(`parseLog: checksum mismatch at byte ${offset}`);
    const rec = recordOf(body);
    const end = offset + FRAME_HEADER_BYTES + len;
    if (rec.kind === 'index') indexOffset = offset;
    else frames.push({ kind: String(rec.kind), step: indexStep(rec), body, offset, end });
    offset = end;
  }
  return { head: bytes.subarray(0, FILE_HEADER_BYTES), frames, indexOffset: bytes.length - offset === TRAILER_BYTES ? indexOffset : null };
}

export function frameBytes(body: Uint8Array): Uint8Array {
  const b = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, body.length, true);
  dv.setUint32(4, crc32(body), true);
  b.set(body, FRAME_HEADER_BYTES);
  return b;
}

function f64Bin(xs: number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(xs).buffer);
}

export function trailerBytes(indexOffset: number): Uint8Array {
  const t = new Uint8Array(TRAILER_BYTES);
  t.set(TRAILER_MAGIC, 0);
  new DataView(t.buffer).setFloat64(8, indexOffset, true);
  return t;
}

/**
 * Puts a log together as weft's writer does: file header, frames (each CRC computed), and for a
 * closed log the index of those frames and the trailer. `alterIndex` changes the index's entries
 * before they are written (the index frame's own CRC still checks).
 */
export function assembleLog(head: Uint8Array, frames: Pick<LogFrame, 'kind' | 'step' | 'body'>[], closed: boolean, alterIndex?: (e: IndexEntry[]) => IndexEntry[]): Uint8Array {
  const parts: Uint8Array[] = [head];
  let offset = head.length;
  const entries: IndexEntry[] = [];
  for (const f of frames) {
    const b = frameBytes(f.body);
    entries.push({ offset, kind: KIND_CODES[f.kind as keyof typeof KIND_CODES], step: f.step });
    parts.push(b);
    offset += b.length;
  }
  if (closed) {
    const e = alterIndex ? alterIndex(entries.map((x) => ({ ...x }))) : entries;
    parts.push(frameBytes(pack({ kind: 'index', offsets: f64Bin(e.map((x) => x.offset)), kinds: Uint8Array.from(e, (x) => x.kind), steps: f64Bin(e.map((x) => x.step)) })));
    parts.push(trailerBytes(offset));
  }
  return new Uint8Array(Buffer.concat(parts)); // a plain Uint8Array: a Buffer's slice() is a view, not a copy
}

/** A frame with its record changed and re-encoded (the index follows its new step). */
export function editFrame(f: LogFrame, edit: (rec: Record<string, unknown>) => void): LogFrame {
  const rec = recordOf(f.body);
  edit(rec);
  return { ...f, body: pack(rec), step: indexStep(rec) };
}

/** An intact log to damage: its bytes and its parts. */
export interface Subject {
  bytes: Uint8Array;
  parts: LogParts;
}

export function subjectOf(buffer: Uint8Array): Subject {
  const bytes = Uint8Array.from(buffer); // not a Buffer, whose slice() shares its memory
  const parts = parseLog(bytes);
  const again = assembleLog(parts.head, parts.frames, parts.indexOffset !== null);
  if (!Buffer.from(again).equals(Buffer.from(bytes))) throw new Error('log surgery does not reproduce the log it took apart: fix parseLog/assembleLog first');
  return { bytes, parts };
}

/** A damaged log, and what a correct reader must make of it. */
export interface Mutation {
  kind: string;
  /** exactly what was done (with the seed, enough to redo it) */
  label: string;
  bytes: Uint8Array;
  /** what the log must read as: the intact log, or for a truncation its prefix up to the last complete frame */
  reference: Uint8Array;
  /** the step the damage is about, for the readers that take one (null: none in particular) */
  step: number | null;
  /** whether its records (all but index and trailer) are the reference's */
  contentEqual: boolean;
}

const pick = <T>(r: KeyedStream, xs: readonly T[]): T => xs[r.int(xs.length)];
const stepFrames = (s: Subject) => s.parts.frames.filter((f) => f.kind === 'step');
const lastStepOf = (s: Subject) => Math.max(startStepOf(s), ...stepFrames(s).map((f) => f.step));
const startStepOf = (s: Subject) => Number(recordOf(s.parts.frames[0].body).startStep);
const closedOf = (s: Subject) => s.parts.indexOffset !== null;

function rebuilt(s: Subject, frames: LogFrame[], alterIndex?: (e: IndexEntry[]) => IndexEntry[]): Uint8Array {
  return assembleLog(s.parts.head, frames, closedOf(s), alterIndex);
}

/** Where a byte of a subject is, in words, and the step of its frame. */
function whereIs(s: Subject, byte: number): { where: string; step: number | null; inIndex: boolean } {
  if (byte < FILE_HEADER_BYTES) return { where: 'file header', step: null, inIndex: false };
  const f = s.parts.frames.find((x) => byte >= x.offset && byte < x.end);
  if (f) return { where: `${f.kind}${f.step >= 0 ? ` ${f.step}` : ''} frame at ${f.offset}${byte < f.offset + 4 ? ', length field' : byte < f.offset + 8 ? ', CRC field' : ''}`, step: f.step >= 0 ? f.step : null, inIndex: false };
  if (byte >= s.bytes.length - TRAILER_BYTES && closedOf(s)) return { where: 'trailer', step: null, inIndex: true };
  return { where: 'index frame', step: null, inIndex: true };
}

/** The byte after the last frame of `s` wholly within the first `len` bytes (a killed run's readable prefix). */
export function readablePrefixEnd(s: Subject, len: number): number {
  if (len < FILE_HEADER_BYTES) return len;
  let end = FILE_HEADER_BYTES;
  for (const f of s.parts.frames) if (f.end <= len) end = f.end;
  return end;
}

/** `s` with its step frame `f` replaced by the other run's record of that step (the index rewritten). */
function spliced(s: Subject, donor: Subject, f: LogFrame, kind = 'step of another run'): Mutation {
  const g = donor.parts.frames.find((x) => x.kind === 'step' && x.step === f.step)!;
  return { kind, label: `step ${f.step} (frame at ${f.offset}) replaced by the other seed's`, bytes: rebuilt(s, s.parts.frames.map((x) => (x === f ? g : x))), reference: s.bytes, step: f.step, contentEqual: false };
}

/** How each kind of damage is made: from an intact log, another run of the same model (another seed) and a stream. */
export const MUTATIONS: Record<string, { covered: boolean; make: (s: Subject, donor: Subject, r: KeyedStream) => Mutation }> = {
  'bit flip': {
    covered: true,
    make: (s, _d, r) => {
      const bit = r.int(s.bytes.length * 8);
      const b = Uint8Array.from(s.bytes);
      b[bit >> 3] ^= 1 << (bit & 7);
      const w = whereIs(s, bit >> 3);
      return { kind: 'bit flip', label: `bit ${bit} (byte ${bit >> 3}: ${w.where})`, bytes: b, reference: s.bytes, step: w.step, contentEqual: w.inIndex };
    },
  },
  truncation: {
    covered: true,
    make: (s, _d, r) => {
      const cut = r.int(s.bytes.length);
      const end = readablePrefixEnd(s, cut);
      return { kind: 'truncation', label: `cut to ${cut} of ${s.bytes.length} bytes (${whereIs(s, cut).where})`, bytes: s.bytes.slice(0, cut), reference: s.bytes.slice(0, end), step: null, contentEqual: true };
    },
  },
  'length flip, killed log': {
    covered: true,
    make: (s, _d, r) => {
      // the subject is a killed run's log (no index, no trailer): R2
      const f = pick(r, s.parts.frames);
      const bit = r.int(32);
      const b = Uint8Array.from(s.bytes);
      b[f.offset + (bit >> 3)] ^= 1 << (bit & 7);
      return { kind: 'length flip, killed log', label: `length of the ${f.kind}${f.step >= 0 ? ` ${f.step}` : ''} frame at ${f.offset}: bit ${bit} flipped (${u32(s.bytes, f.offset)} → ${u32(b, f.offset)})`, bytes: b, reference: s.bytes, step: f.step >= 0 ? f.step : null, contentEqual: false };
    },
  },
  'keyframe of another run': {
    covered: true,
    make: (s, d, r) => {
      const f = pick(r, s.parts.frames.filter((x) => x.kind === 'keyframe'));
      const g = d.parts.frames.find((x) => x.kind === 'keyframe' && x.step === f.step)!;
      const frames = s.parts.frames.map((x) => (x === f ? g : x));
      return { kind: 'keyframe of another run', label: `keyframe ${f.step} (frame at ${f.offset}) replaced by the other seed's`, bytes: rebuilt(s, frames), reference: s.bytes, step: f.step, contentEqual: false };
    },
  },
  'step of another run': {
    covered: true,
    make: (s, d, r) => {
      // a step the log ties to another record without re-executing: a keyframe's (R5), the last (R6)
      const start = startStepOf(s);
      const kfs = new Set(s.parts.frames.filter((x) => x.kind === 'keyframe' && x.step > start).map((x) => x.step));
      const last = lastStepOf(s);
      const f = pick(r, stepFrames(s).filter((x) => kfs.has(x.step) || x.step === last));
      return spliced(s, d, f);
    },
  },
  'first step of another run': {
    // R5: the start keyframe is checked by the step after it, applied or re-executed from it (a
    // reader that cannot run weft's arithmetic — the Python one on a compact or summary log — cannot)
    covered: true,
    make: (s, d) => spliced(s, d, stepFrames(s).find((x) => x.step === startStepOf(s) + 1)!, 'first step of another run'),
  },
  'step of another run, between keyframes': {
    // not in the contract: a foreign step record with no keyframe at its step, not the first nor
    // the last, is found only by a reader that rebuilds the state (informational)
    covered: false,
    make: (s, d, r) => {
      const start = startStepOf(s);
      const kfs = new Set(s.parts.frames.filter((x) => x.kind === 'keyframe').map((x) => x.step));
      const last = lastStepOf(s);
      const inner = stepFrames(s).filter((x) => x.step !== start + 1 && !kfs.has(x.step) && x.step !== last);
      return spliced(s, d, pick(r, inner.length ? inner : stepFrames(s)), 'step of another run, between keyframes');
    },
  },
  'step deleted': {
    covered: true,
    make: (s, _d, r) => {
      const f = pick(r, stepFrames(s));
      return { kind: 'step deleted', label: `step ${f.step} (frame at ${f.offset}) deleted`, bytes: rebuilt(s, s.parts.frames.filter((x) => x !== f)), reference: s.bytes, step: f.step, contentEqual: false };
    },
  },
  'step duplicated': {
    covered: true,
    make: (s, _d, r) => {
      const f = pick(r, stepFrames(s));
      return { kind: 'step duplicated', label: `step ${f.step} (frame at ${f.offset}) written twice`, bytes: rebuilt(s, s.parts.frames.flatMap((x) => (x === f ? [x, x] : [x]))), reference: s.bytes, step: f.step, contentEqual: false };
    },
  },
  'step relabelled': {
    covered: true,
    make: (s, _d, r) => {
      const f = pick(r, stepFrames(s));
      const last = lastStepOf(s);
      const others = Array.from({ length: last + 2 }, (_, i) => i).filter((t) => t !== f.step);
      const t = pick(r, others);
      const frames = s.parts.frames.map((x) => (x === f ? editFrame(x, (rec) => (rec.step = t)) : x));
      return { kind: 'step relabelled', label: `step ${f.step} (frame at ${f.offset}) relabelled step ${t}`, bytes: rebuilt(s, frames), reference: s.bytes, step: f.step, contentEqual: false };
    },
  },
  'steps swapped': {
    covered: true,
    make: (s, _d, r) => {
      const steps = stepFrames(s);
      const i = r.int(steps.length - 1);
      const [a, b] = [steps[i], steps[i + 1]];
      const frames = s.parts.frames.map((x) => (x === a ? b : x === b ? a : x));
      return { kind: 'steps swapped', label: `step frames ${a.step} and ${b.step} swapped in file order`, bytes: rebuilt(s, frames), reference: s.bytes, step: a.step, contentEqual: false };
    },
  },
  'index damaged': {
    covered: true,
    make: (s, _d, r) => {
      const n = s.parts.frames.length;
      const i = 1 + r.int(n - 1);
      const f = s.parts.frames[i];
      const variants: [string, (e: IndexEntry[]) => IndexEntry[]][] = [
        [`entry ${i} (${f.kind} ${f.step}): step ${f.step} → ${f.step + 1}`, (e) => ((e[i].step = f.step + 1), e)],
        [`entry ${i} (${f.kind} ${f.step}): kind ${f.kind} → ${f.kind === 'step' ? 'keyframe' : 'step'}`, (e) => ((e[i].kind = KIND_CODES[f.kind === 'step' ? 'keyframe' : 'step']), e)],
        [`entry ${i} (${f.kind} ${f.step}) dropped`, (e) => e.filter((_, j) => j !== i)],
        [`entry ${i} (${f.kind} ${f.step}) listed twice`, (e) => e.flatMap((x, j) => (j === i ? [x, { ...x }] : [x]))],
        [`entries ${i - 1} and ${i} swapped`, (e) => (i > 1 ? e.map((x, j) => (j === i ? e[i - 1] : j === i - 1 ? e[i] : x)) : ((e[i].step += 1), e))],
      ];
      const [what, alter] = pick(r, variants);
      return { kind: 'index damaged', label: `index ${what} (CRC rewritten)`, bytes: rebuilt(s, s.parts.frames, alter), reference: s.bytes, step: f.step >= 0 ? f.step : null, contentEqual: true };
    },
  },
  'trailer damaged': {
    covered: true,
    make: (s, _d, r) => {
      const at = s.parts.indexOffset!;
      const other = pick(r, s.parts.frames.slice(1));
      const variants: [string, number][] = [
        [`offset → the ${other.kind}${other.step >= 0 ? ` ${other.step}` : ''} frame at ${other.offset}`, other.offset],
        [`offset ${at} → ${at + 8}`, at + 8],
        [`offset ${at} → ${at - 1}`, at - 1],
        ['offset → 2^53', 2 ** 53],
        ['offset → NaN', NaN],
      ];
      const [what, to] = pick(r, variants);
      const b = Uint8Array.from(s.bytes);
      b.set(trailerBytes(to), b.length - TRAILER_BYTES);
      return { kind: 'trailer damaged', label: `trailer ${what}`, bytes: b, reference: s.bytes, step: null, contentEqual: true };
    },
  },
  'end record altered': {
    covered: true,
    make: (s, _d, r) => {
      const f = s.parts.frames.find((x) => x.kind === 'end')!;
      const end = recordOf(f.body);
      const steps = stepFrames(s);
      const earlier = steps.length > 1 ? String(recordOf(steps[steps.length - 2].body).stateHash) : '0'.repeat(32);
      const variants: [string, (rec: Record<string, unknown>) => void][] = [
        [`steps ${end.steps} → ${Number(end.steps) + 1}`, (rec) => (rec.steps = Number(end.steps) + 1)],
        [`steps ${end.steps} → ${Number(end.steps) - 1}`, (rec) => (rec.steps = Number(end.steps) - 1)],
        ['stateHash → the step before’s', (rec) => (rec.stateHash = earlier)],
      ];
      const [what, edit] = pick(r, variants);
      return { kind: 'end record altered', label: `end record: ${what} (CRC rewritten)`, bytes: rebuilt(s, s.parts.frames.map((x) => (x === f ? editFrame(x, edit) : x))), reference: s.bytes, step: null, contentEqual: false };
    },
  },
  'parameter table altered': {
    covered: true,
    make: (s, _d, r) => {
      const h = s.parts.frames[0];
      const params = recordOf(h.body).params as { name: string; shape: number[]; offset: number; size: number }[];
      const i = r.int(params.length - 1);
      const same = params.findIndex((p, j) => j > i && p.size === params[i].size && p.name !== params[i].name);
      const variants: [string, (ps: typeof params) => void][] = [
        [`offsets of ${params[i].name} and ${params[i + 1].name} swapped`, (ps) => ([ps[i].offset, ps[i + 1].offset] = [ps[i + 1].offset, ps[i].offset])],
        [`${params[i].name} size ${params[i].size} → ${params[i].size + 1}`, (ps) => (ps[i].size += 1)],
        [`${params[i].name} shape [${params[i].shape}] → [${params[i].shape.map((x, k) => (k === 0 ? x + 1 : x))}] (size and later offsets follow)`, (ps) => {
          const grow = ps[i].size / ps[i].shape[0];
          ps[i].shape[0] += 1;
          ps[i].size += grow;
          for (let j = i + 1; j < ps.length; j++) ps[j].offset += grow;
        }],
        ...(same > 0 ? [[`names of ${params[i].name} and ${params[same].name} swapped`, (ps: typeof params) => ([ps[i].name, ps[same].name] = [ps[same].name, ps[i].name])] as [string, (ps: typeof params) => void]] : []),
      ];
      const [what, edit] = pick(r, variants);
      const frames = s.parts.frames.map((x) => (x === h ? editFrame(x, (rec) => edit(rec.params as typeof params)) : x));
      return { kind: 'parameter table altered', label: `header parameter table: ${what} (CRC rewritten)`, bytes: rebuilt(s, frames), reference: s.bytes, step: null, contentEqual: false };
    },
  },
};

/** The kinds tried on a closed log (the length flip is tried on a killed one). */
export const CLOSED_LOG_KINDS = Object.keys(MUTATIONS).filter((k) => k !== 'length flip, killed log');

/** A killed run's log made from a closed one: its frames up to step `k` (no end record, index or trailer). */
export function killedPrefix(s: Subject, k: number): Subject {
  let last = -1;
  s.parts.frames.forEach((f, i) => {
    if (f.kind === 'step' && f.step === k) last = i;
  });
  const frames = s.parts.frames.slice(0, last + 1);
  return subjectOf(assembleLog(s.parts.head, frames, false));
}

// ---- running things --------------------------------------------------------------------------

export interface RawResult {
  /** exit code; 'hung' (no answer in time), 'died' (the process running it died) */
  code: number | 'hung' | 'died';
  stdout: string;
  stderr: string;
}

const READER_TIMEOUT_MS = 60_000;

/** Runs a command; resolves with its exit code ('hung' past the timeout, when it is killed). */
function runChild(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? READER_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: hung ? 'hung' : code ?? 'died', stdout, stderr });
    });
  });
}

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex').slice(0, 32);

/** The records of a log, as one digest, with the header's parent hash blanked (a fork names its parent's file hash). */
function recordsDigest(bytes: Uint8Array): string {
  const parts = parseLog(bytes);
  const h = createHash('sha256');
  for (const f of parts.frames) {
    if (f.kind === 'header') {
      const rec = recordOf(f.body);
      if (rec.parent && typeof rec.parent === 'object') (rec.parent as Record<string, unknown>).hash = '';
      h.update(pack(rec));
    } else h.update(f.body);
  }
  return h.digest('hex').slice(0, 32);
}

/** The readers run in the reader process (in-process: the CLI's main, the viewer on port 0). */
export const CLI_READERS = ['inspect', 'replay', 'export', 'fork', 'verify', 'diff', 'view'] as const;
export type CliReader = (typeof CLI_READERS)[number];

interface ReadJob {
  id: number;
  file: string;
  /** the intact log diff and the viewer compare with */
  original: string;
  /** the step replay, fork and the viewer's step view are pointed at, and the last step */
  step: number;
  last: number;
  /** the intact log's step count (fork trains to it) */
  steps: number;
  readers: CliReader[];
  scratch: string;
}

/** The reader process: runs each job's readers in-process, one at a time, and answers over IPC. */
async function readerProcess(): Promise<void> {
  const { main } = await import('../src/cli/main.ts');
  const { startViewer } = await import('../src/view/server.ts');
  const strays: string[] = [];
  process.on('uncaughtException', (e) => strays.push(`uncaught: ${e.stack ?? e}`));
  process.on('unhandledRejection', (e) => strays.push(`unhandled rejection: ${(e as Error)?.stack ?? e}`));
  const captured = async (f: () => Promise<number>): Promise<RawResult> => {
    const out: string[] = [];
    const err: string[] = [];
    const ow = process.stdout.write.bind(process.stdout);
    const ew = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((c: unknown) => (out.push(String(c)), true)) as typeof process.stdout.write;
    process.stderr.write = ((c: unknown) => (err.push(String(c)), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await f();
    } catch (e) {
      err.push(`threw: ${(e as Error)?.stack ?? e}`);
      code = 99;
    } finally {
      process.stdout.write = ow;
      process.stderr.write = ew;
    }
    err.push(...strays.splice(0));
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  const cli = (args: string[]) => captured(() => main([...args, '--threads', '1']));
  const readers: Record<CliReader, (j: ReadJob) => Promise<RawResult>> = {
    inspect: (j) => cli(['inspect', j.file, '--json']),
    replay: async (j) => {
      const a = await cli(['replay', j.file, '--to', String(j.step), '--json']);
      if (a.code !== 0 || j.step === j.last) return a;
      const b = await cli(['replay', j.file, '--to', String(j.last), '--json']);
      return { code: b.code, stdout: a.stdout + b.stdout, stderr: a.stderr + b.stderr };
    },
    export: async (j) => {
      const out = join(j.scratch, 'export.safetensors');
      rmSync(out, { force: true });
      const r = await cli(['export', j.file, '--at', String(j.last), '--out', out]);
      return { ...r, stdout: `${r.stdout.replaceAll(out, 'OUT')}${existsSync(out) ? `bytes ${sha(readFileSync(out))}` : 'no file'}\n` };
    },
    fork: async (j) => {
      const out = join(j.scratch, 'fork.weft');
      rmSync(out, { force: true });
      const r = await cli(['fork', j.file, '--at', String(j.step), '--steps', String(Math.max(j.steps, j.step + 1)), '--out', out, '--force', '--quiet']);
      let digest = 'no file';
      try {
        if (existsSync(out)) digest = `records ${recordsDigest(readFileSync(out))}`;
      } catch (e) {
        digest = `unreadable fork: ${(e as Error).message}`;
      }
      // its stdout is the training summary, with a speed: only the log it wrote is compared
      return { ...r, stdout: `${digest}\n` };
    },
    verify: (j) => cli(['verify', j.file, '--json']),
    diff: (j) => cli(['diff', j.file, j.original, '--json']),
    view: (j) => captured(async () => {
      const v = await startViewer({ paths: [j.file, j.original], port: 0 });
      const replies: { path: string; status: number; body: string }[] = [];
      try {
        for (const p of ['/api/runs', '/api/runs/0/overview', '/api/runs/0/layers', `/api/runs/0/steps/${j.step}`, `/api/runs/0/steps/${j.last}`, '/api/diff?a=0&b=1']) {
          const res = await fetch(new URL(p, v.url));
          replies.push({ path: p, status: res.status, body: await res.text() });
        }
      } finally {
        await v.close();
      }
      process.stdout.write(JSON.stringify(replies));
      return 0;
    }),
  };
  process.on('message', (message: unknown) => {
    const msg = message as ReadJob;
    void (async () => {
      for (const name of msg.readers) {
        process.send!({ job: msg.id, type: 'start', reader: name });
        const result = await readers[name](msg);
        process.send!({ job: msg.id, type: 'result', reader: name, result });
      }
      process.send!({ job: msg.id, type: 'done' });
    })();
  });
  process.send!({ type: 'ready' });
}

/** The parent's side of the reader process: jobs in, results out; a reader that hangs or kills it is recorded and the process replaced. */
class ReaderHost {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private stderrTail = '';

  private ensure(): Promise<ChildProcess> {
    if (this.child && this.ready) return this.ready.then(() => this.child!);
    const child = spawn(process.execPath, ['--import', tsxLoader(), SELF, '--reader-process'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)));
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the reader process exited (${code}) before it was ready: ${this.stderrTail}`)));
    });
    return this.ready.then(() => child);
  }

  /** one job at a time: the readers share the process's stdout and stderr */
  private queue: Promise<unknown> = Promise.resolve();

  run(spec: Omit<ReadJob, 'id'>): Promise<Map<CliReader, RawResult>> {
    const p = this.queue.then(() => this.runNow(spec));
    this.queue = p.catch(() => {});
    return p;
  }

  private async runNow(spec: Omit<ReadJob, 'id'>): Promise<Map<CliReader, RawResult>> {
    const results = new Map<CliReader, RawResult>();
    let remaining = [...spec.readers];
    while (remaining.length) {
      const child = await this.ensure();
      const id = this.nextId++;
      let current: CliReader | null = null;
      const end = await new Promise<'done' | 'hung' | 'died'>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const arm = () => {
          clearTimeout(timer);
          timer = setTimeout(() => finish('hung'), READER_TIMEOUT_MS);
        };
        const onMessage = (m: { job: number; type: string; reader: CliReader; result: RawResult }) => {
          if (m.job !== id) return;
          if (m.type === 'start') current = m.reader;
          else if (m.type === 'result') {
            results.set(m.reader, m.result);
            remaining = remaining.filter((x) => x !== m.reader);
            current = null;
          } else if (m.type === 'done') return finish('done');
          arm();
        };
        const onExit = () => finish('died');
        const finish = (how: 'done' | 'hung' | 'died') => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(how);
        };
        child.on('message', onMessage);
        child.on('exit', onExit);
        this.stderrTail = '';
        child.send({ ...spec, id, readers: remaining });
        arm();
      });
      if (end !== 'done') {
        const who = current ?? remaining[0];
        results.set(who, { code: end, stdout: '', stderr: this.stderrTail });
        remaining = remaining.filter((x) => x !== who);
        child.kill('SIGKILL');
        this.child = null;
        this.ready = null;
      }
    }
    return results;
  }

  close(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

/** Is python3 with numpy and msgpack here (the Python reader's needs)? */
export function pythonReaderAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import numpy, msgpack'], { encoding: 'utf8' }).status === 0;
}

function pythonReader(file: string): Promise<RawResult> {
  return runChild(PYTHON, [PY_READER, file, '--json']);
}

// ---- judging --------------------------------------------------------------------------------

export const OUTCOMES = ['detected', 'no offset', 'fine', 'WRONG', 'other refusal', 'crashed', 'hung'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type ReaderName = CliReader | 'python';

/** A reader's output with what legitimately varies taken out: paths, sizes, timings, how a torn tail is worded. */
function normalized(reader: ReaderName, r: RawResult, paths: [string, string][]): string {
  let text = r.stdout;
  for (const [p, name] of paths) text = text.replaceAll(p, name);
  const parse = (s: string): unknown => {
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // a killed run's log, torn or not: the viewer words it by what it saw
      if ((o.kind === 'torn' || o.kind === 'open') && 'readable' in o) return { kind: 'incomplete' };
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) {
        if (k === 'elapsedMs') continue;
        if (reader === 'inspect' && ['file', 'sizeBytes', 'bytesPerStep', 'tornTailBytes', 'writer'].includes(k)) continue;
        if (reader === 'verify' && k === 'file') continue;
        out[k] = walk(x);
      }
      return out;
    }
    return v;
  };
  if (reader === 'view') {
    const replies = parse(text);
    if (!Array.isArray(replies)) return text;
    return JSON.stringify(replies.map((x: { path: string; status: number; body: string }) => ({ path: x.path, status: x.status, body: walk(parse(x.body)) })));
  }
  if (reader === 'replay') return text.split(/(?<=\n})\n?/).map((part) => JSON.stringify(walk(parse(part)))).join('\n');
  return JSON.stringify(walk(parse(text)));
}

const TRACE = /\n\s+at \S.*:\d+:\d+\)?\n|Traceback \(most recent call last\)|internal error|^threw:|uncaught:|unhandled rejection:/m;

/** What a reader's answer to a damaged log was, against its answer to the reference (the intact log, or its readable prefix). */
export function judge(reader: ReaderName, r: RawResult, ref: RawResult, contentEqual: boolean, paths: [string, string][]): { outcome: Outcome; note: string } {
  if (r.code === 'hung') return { outcome: 'hung', note: `no answer in ${READER_TIMEOUT_MS / 1000} s` };
  if (r.code === 'died') return { outcome: 'crashed', note: `the process died: ${lastLine(r.stderr)}` };
  const viewReplies = reader === 'view' ? safeReplies(r.stdout) : [];
  const crashedView = viewReplies.some((x) => x.status >= 500);
  if (![0, 1, 2, 3].includes(r.code) || TRACE.test(r.stderr) || crashedView) return { outcome: 'crashed', note: `exit ${r.code}: ${lastLine(r.stderr) || viewReplies.find((x) => x.status >= 500)?.body.slice(0, 200)}` };
  const corruptView = viewReplies.filter((x) => x.status === 422 || /"kind":"corrupt"/.test(x.body));
  if (r.code === 3 || corruptView.length) {
    const said = reader === 'view' ? corruptView.map((x) => x.body).join(' ') : r.stderr;
    return { outcome: /at byte \d+|"offset":\d+/.test(said) ? 'detected' : 'no offset', note: lastLine(said).slice(0, 240) };
  }
  const a = normalized(reader, r, paths);
  const b = normalized(reader, ref, paths);
  if (r.code === ref.code && a === b) {
    // verify and diff (and the viewer's comparison) vouch for the whole log
    const vouches = (reader === 'verify' || reader === 'diff') ? r.code === 0 : reader === 'view' && /"identical":true/.test(viewReplies.find((x) => x.path.startsWith('/api/diff'))?.body ?? '');
    if (vouches && !contentEqual) return { outcome: 'WRONG', note: `${reader === 'verify' ? 'reproduced' : 'identical'}, of a log whose records differ from the original's` };
    return { outcome: 'fine', note: '' };
  }
  if (r.code === 0) return { outcome: 'WRONG', note: firstDifference(a, b) };
  return { outcome: 'other refusal', note: `exit ${r.code}: ${lastLine(r.stderr || r.stdout).slice(0, 240)}` };
}

function safeReplies(s: string): { path: string; status: number; body: string }[] {
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').filter((l) => l.trim() && !/^\s+at /.test(l) && !/WEFT_DEBUG/.test(l)).slice(0, 1).join('') || s.trim().split('\n')[0] || '';
}

/** The first place two normalized outputs part, in words (a JSON path and both values). */
function firstDifference(a: string, b: string): string {
  const pa = (() => {
    try {
      return JSON.parse(a);
    } catch {
      return a;
    }
  })();
  const pb = (() => {
    try {
      return JSON.parse(b);
    } catch {
      return b;
    }
  })();
  const short = (v: unknown) => {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === undefined ? 'nothing' : s.length > 90 ? `${s.slice(0, 90)}…` : s;
  };
  const go = (x: unknown, y: unknown, path: string): string | null => {
    if (typeof x === 'string' && typeof y === 'string' && (x.startsWith('{') || x.startsWith('['))) {
      try {
        return go(JSON.parse(x), JSON.parse(y), path);
      } catch {
        // not JSON after all
      }
    }
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        const d = go((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
        if (d) return d;
      }
      return null;
    }
    return JSON.stringify(x) === JSON.stringify(y) ? null : `${path || '.'}: ${short(x)} (intact log: ${short(y)})`;
  };
  return go(pa, pb, '') ?? 'outputs differ';
}

type Tally = Record<Outcome, number>;
const emptyTally = (): Tally => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Tally;

interface Case {
  category: string;
  mode: string;
  kind: string;
  label: string;
  reader: string;
  outcome: Outcome;
  note: string;
}

// ---- the harness --------------------------------------------------------------------------------

interface Options {
  quick: boolean;
  json: boolean;
  seed: number;
  only: Set<string>;
}

class Harness {
  readonly host = new ReaderHost();
  readonly work: string;
  readonly python: boolean;
  readonly cases: Case[] = [];
  private refResults = new Map<string, Promise<Map<CliReader, RawResult>>>();
  private refPython = new Map<string, Promise<RawResult>>();
  private fileId = 0;

  constructor(readonly o: Options) {
    this.work = mkdtempSync(join(tmpdir(), 'weft-fault-'));
    this.python = pythonReaderAvailable();
  }

  /** A file of its own (in a folder of its own, so every log read is named log.weft). */
  place(bytes: Uint8Array, name = 'log.weft'): string {
    const dir = join(this.work, `f${this.fileId++}`);
    mkdirSync(dir);
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  }

  scratch(): string {
    const d = join(this.work, `s${this.fileId++}`);
    mkdirSync(d);
    return d;
  }

  /** `weft run baseline` on the micro model, as a child; returns the log's bytes. */
  async record(mode: RecordModeName, seed: number, steps: number, keyframeEvery: number): Promise<Uint8Array> {
    const out = join(this.scratch(), 'log.weft');
    const r = await runChild(process.execPath, [WEFT_BIN, 'run', 'baseline', ...this.runFlags(mode, steps, keyframeEvery), '--seed', String(seed), '--out', out, '--quiet', '--threads', '1'], { cwd: this.work });
    if (r.code !== 0) throw new Error(`weft run failed (${r.code}): ${r.stderr}`);
    return readFileSync(out);
  }

  runFlags(mode: RecordModeName, steps: number, keyframeEvery: number): string[] {
    return [...MICRO_SETS, '--set', `record.keyframeEvery=${keyframeEvery}`, '--record', mode, '--steps', String(steps)];
  }

  /** The readers' answers for a reference log (cached: many damaged logs share one). */
  referenceResults(ref: Uint8Array, original: string, step: number, last: number, steps: number, readers: CliReader[]): Promise<Map<CliReader, RawResult>> {
    const key = `${sha(ref)}|${original}|${step}|${last}|${readers.join(',')}`;
    let p = this.refResults.get(key);
    if (!p) {
      const file = this.place(ref);
      p = this.host.run({ file, original, step, last, steps, readers, scratch: this.scratch() }).then((m) => {
        for (const r of m.values()) r.stdout = r.stdout.replaceAll(file, 'LOG');
        return m;
      });
      this.refResults.set(key, p);
    }
    return p;
  }

  referencePython(ref: Uint8Array): Promise<RawResult> {
    const key = sha(ref);
    let p = this.refPython.get(key);
    if (!p) {
      p = pythonReader(this.place(ref));
      this.refPython.set(key, p);
    }
    return p;
  }

  /** Runs every reader on a damaged log and its reference, and judges each answer. */
  async readAndJudge(category: string, mode: string, m: Mutation, original: string, steps: number, readers: CliReader[], withPython: boolean): Promise<Map<ReaderName, Outcome>> {
    const refParts = m.reference.length >= FILE_HEADER_BYTES ? parseLog(m.reference) : null;
    const refLast = refParts ? Math.max(0, ...refParts.frames.filter((f) => f.kind === 'step').map((f) => f.step)) : 0;
    const step = Math.min(Math.max(m.step ?? refLast, 0), refLast);
    const file = this.place(m.bytes);
    const scratch = this.scratch();
    const [mine, ref, py, pyRef] = await Promise.all([
      this.host.run({ file, original, step, last: refLast, steps, readers, scratch }),
      this.referenceResults(m.reference, original, step, refLast, steps, readers),
      withPython ? pythonReader(file) : Promise.resolve(null),
      withPython ? this.referencePython(m.reference) : Promise.resolve(null),
    ]);
    const paths: [string, string][] = [[file, 'LOG'], [original, 'ORIGINAL']];
    const out = new Map<ReaderName, Outcome>();
    const note = (reader: ReaderName, r: RawResult, refR: RawResult) => {
      const j = judge(reader, r, refR, m.contentEqual, paths);
      out.set(reader, j.outcome);
      // the cases to look at: all but the reads that were fine or named the damage's offset
      if (j.outcome !== 'fine' && j.outcome !== 'detected') this.cases.push({ category, mode, kind: m.kind, label: m.label, reader, outcome: j.outcome, note: j.note });
    };
    for (const reader of readers) note(reader, mine.get(reader)!, ref.get(reader)!);
    if (py && pyRef) note('python', py, pyRef);
    rmSync(file, { force: true });
    rmSync(scratch, { recursive: true, force: true });
    return out;
  }

  log(line: string): void {
    if (!this.o.json) process.stderr.write(`${line}\n`);
  }
}

// ---- category: kills ------------------------------------------------------------------------------

interface KillFigures {
  mode: string;
  tries: number;
  /** killed before the log had its header and first keyframe (nothing to read) */
  beforeLog: number;
  /** finished before the kill landed */
  finished: number;
  /** killed logs that are not a prefix of the uninterrupted run's log */
  notPrefix: number;
  readers: Record<string, Tally>;
  resume: { identical: number; differs: number; refused: number; crashed: number; hung: number };
}

/**
 * Runs `weft run` as a child, watching its log file: when it appeared and when its trailer was
 * written (ms after the start, −1 when not seen). `kill` SIGKILLs it that many ms after the start,
 * or after the log appeared.
 */
function watchedRun(args: string[], out: string, cwd: string, kill?: { afterLog: boolean; ms: number }): Promise<{ appearMs: number; closeMs: number; killed: boolean }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [WEFT_BIN, ...args], { cwd, stdio: 'ignore' });
    let appearMs = -1;
    let closeMs = -1;
    let timer: NodeJS.Timeout | undefined;
    if (kill && !kill.afterLog) timer = setTimeout(() => child.kill('SIGKILL'), kill.ms);
    const watch = setInterval(() => {
      if (appearMs < 0 && existsSync(out)) {
        appearMs = performance.now() - t0;
        if (kill?.afterLog) timer = setTimeout(() => child.kill('SIGKILL'), kill.ms);
      }
      if (appearMs >= 0 && closeMs < 0 && closedOnDisk(out)) closeMs = performance.now() - t0;
    }, 2);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      resolve({ appearMs, closeMs, killed: signal === 'SIGKILL' });
    });
  });
}

async function killCategory(h: Harness, rng: KeyedStream): Promise<KillFigures[]> {
  const steps = 60;
  const keyframeEvery = 10;
  const tries = h.o.quick ? 2 : 10;
  const figures: KillFigures[] = [];
  for (const mode of RECORD_MODES) {
    const args = ['run', 'baseline', ...h.runFlags(mode, steps, keyframeEvery), '--seed', '1', '--quiet', '--threads', '1'];
    // the uninterrupted run, and when its log appears and closes here (the kills land in between)
    const calDir = h.scratch();
    const calOut = join(calDir, 'log.weft');
    const cal = await watchedRun([...args, '--out', calOut], calOut, calDir);
    const full = readFileSync(calOut);
    const whole = subjectOf(full);
    const uPath = h.place(full);
    const f: KillFigures = { mode, tries, beforeLog: 0, finished: 0, notPrefix: 0, readers: {}, resume: { identical: 0, differs: 0, refused: 0, crashed: 0, hung: 0 } };
    const readers: CliReader[] = ['inspect', 'replay', 'export', 'verify', 'diff'];
    for (const name of [...readers, ...(h.python ? ['python'] : [])]) f.readers[name] = emptyTally();
    for (let i = 0; i < tries; i++) {
      // one kill in five during start-up, the others while the log is written
      const afterLog = i % 5 !== 4;
      const ms = afterLog ? rng.int(Math.max(1, Math.round(cal.closeMs - cal.appearMs))) : rng.int(Math.max(1, Math.round(cal.appearMs) + 20));
      const dir = h.scratch();
      const out = join(dir, 'log.weft');
      const { killed } = await watchedRun([...args, '--out', out], out, dir, { afterLog, ms });
      if (!killed) f.finished++;
      const bytes = existsSync(out) ? readFileSync(out) : new Uint8Array(0);
      const label = `SIGKILL ${ms} ms after ${afterLog ? 'the log appeared' : 'the start'}: ${bytes.length} of ${full.length} bytes written`;
      if (!Buffer.from(full).subarray(0, bytes.length).equals(Buffer.from(bytes))) {
        f.notPrefix++;
        h.cases.push({ category: 'kills', mode, kind: 'kill', label, reader: 'log', outcome: 'WRONG', note: 'the killed log is not a prefix of the uninterrupted one' });
      }
      const end = readablePrefixEnd(whole, bytes.length);
      const reference = full.subarray(0, bytes.length === full.length ? full.length : end);
      const hasKeyframe = whole.parts.frames.some((x) => x.kind === 'keyframe' && x.end <= bytes.length);
      if (!hasKeyframe) f.beforeLog++;
      else {
        const m: Mutation = { kind: 'kill', label, bytes, reference, step: null, contentEqual: true };
        const got = await h.readAndJudge('kills', mode, m, uPath, steps, readers, h.python);
        for (const [reader, outcome] of got) f.readers[reader][outcome]++;
      }
      // and the run continued — with the command and flags it was started with, as `weft run
      // --help` asks (a log killed before its header holds no config to continue by) — gives the
      // uninterrupted log, byte for byte
      if (existsSync(out)) {
        const r = await runChild(process.execPath, [WEFT_BIN, ...args, '--resume', '--out', out], { cwd: dir });
        const after = readFileSync(out);
        const same = Buffer.from(after).equals(Buffer.from(full));
        let outcome: keyof KillFigures['resume'];
        if (r.code === 'hung') outcome = 'hung';
        else if (r.code === 'died' || r.code === 4 || TRACE.test(r.stderr)) outcome = 'crashed';
        else if (same) outcome = 'identical';
        else if (r.code === 0) outcome = 'differs';
        else outcome = 'refused';
        f.resume[outcome]++;
        if (outcome !== 'identical') h.cases.push({ category: 'kills', mode, kind: 'kill', label, reader: 'resume', outcome: outcome === 'differs' ? 'WRONG' : outcome === 'refused' ? 'other refusal' : outcome, note: `exit ${r.code}: ${lastLine(r.stderr)}` });
      }
      rmSync(dir, { recursive: true, force: true });
      h.log(`  kills ${mode} ${i + 1}/${tries}: ${label}`);
    }
    figures.push(f);
  }
  return figures;
}

// ---- category: mutations × readers ---------------------------------------------------------------

interface MutationFigures {
  /** per mutation kind, per reader */
  table: Record<string, Record<string, Tally>>;
  /** per record mode, likewise */
  byMode: Record<string, Record<string, Record<string, Tally>>>;
  covered: Record<string, boolean>;
}

async function mutationCategory(h: Harness, seed: number): Promise<MutationFigures> {
  const per = h.o.quick ? 1 : 6;
  const steps = 6;
  const keyframeEvery = 2;
  const fig: MutationFigures = { table: {}, byMode: {}, covered: Object.fromEntries(Object.entries(MUTATIONS).map(([k, v]) => [k, v.covered])) };
  for (const mode of RECORD_MODES) {
    const original = subjectOf(await h.record(mode, 1, steps, keyframeEvery));
    const donor = subjectOf(await h.record(mode, 2, steps, keyframeEvery));
    const killed = killedPrefix(original, steps - 1);
    const originalPath = h.place(original.bytes);
    const killedPath = h.place(killed.bytes);
    fig.byMode[mode] = {};
    for (const kind of Object.keys(MUTATIONS)) {
      const onKilled = kind === 'length flip, killed log';
      const subject = onKilled ? killed : original;
      const tries = kind === 'bit flip' || kind === 'truncation' || onKilled ? per * 3 : kind === 'first step of another run' ? 1 : per;
      const r = keyedStream(seed, 'fault-injection/mutation', mode, kind);
      for (let i = 0; i < tries; i++) {
        const m = MUTATIONS[kind].make(subject, donor, r);
        m.label = `${m.label} [seed ${seed}, ${mode}, try ${i + 1}]`;
        const got = await h.readAndJudge('mutations', mode, m, onKilled ? killedPath : originalPath, steps, [...CLI_READERS], h.python);
        for (const [reader, outcome] of got) {
          for (const t of [fig.table, fig.byMode[mode]]) {
            t[kind] ??= {};
            t[kind][reader] ??= emptyTally();
            t[kind][reader][outcome]++;
          }
        }
      }
      h.log(`  mutations ${mode}: ${kind} ×${tries}`);
    }
  }
  return fig;
}

// ---- category: concurrent writers -----------------------------------------------------------------

/**
 * A process that loads weft, says it is ready, and runs one thing the instant it is told to:
 * a CLI command, or (`--writer LOG`) a LogWriter.create of LOG, held 300 ms — the lock itself,
 * without the CLI's start-up in front of it (exit 0 it wrote, 2 refused, 4 anything else).
 */
async function barrierProcess(args: string[]): Promise<void> {
  const { main } = await import('../src/cli/main.ts');
  const { LogWriter } = await import('../src/log/writer.ts');
  const { WeftError } = await import('../src/errors.ts');
  const writer = async (path: string): Promise<number> => {
    try {
      const w = LogWriter.create(path, { overwrite: true });
      w.write({ kind: 'end', reason: 'completed', steps: process.pid, stateHash: String(process.pid) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      w.close();
      return 0;
    } catch (e) {
      process.stderr.write(`${e instanceof WeftError ? e.message : (e as Error).stack}\n`);
      return e instanceof WeftError ? e.exitCode : 4;
    }
  };
  process.once('message', (message: unknown) => {
    const m = message as { at: number };
    while (Date.now() < m.at) {
      // spin: both processes of a pair leave this loop within the same millisecond
    }
    void (args[0] === '--writer' ? writer(args[1]) : main(args)).then((code) => {
      process.exitCode = code;
      process.disconnect();
    });
  });
  process.send!('ready');
}

interface Barriered {
  child: ChildProcess;
  ready: Promise<void>;
  done: Promise<RawResult>;
}

function barriered(args: string[], cwd: string): Barriered {
  const child = spawn(process.execPath, ['--import', tsxLoader(), SELF, '--barrier', '--', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', () => reject(new Error(`barrier process exited early: ${stderr}`)));
  });
  const done = new Promise<RawResult>((resolve) => {
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: hung ? 'hung' : code ?? 'died', stdout, stderr });
    });
  });
  return { child, ready, done };
}

/** A pid no process has now (a process that ran and was reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const PAIR_OUTCOMES = ['clean', 'two owners', 'rewritten', 'damaged log', 'crashed', 'hung', 'none went on'] as const;
type PairOutcome = (typeof PAIR_OUTCOMES)[number];

interface PairFigures {
  scenario: string;
  tries: number;
  /**
   * clean: exactly one writer went on, the other was refused with one line, and the log is the
   * uninterrupted run's; two owners: both went on; rewritten: the second went on with a log the
   * first had finished; damaged log: one went on and the log is not the uninterrupted run's
   */
  outcomes: Record<PairOutcome, number>;
}

/** Is the trailer of a closed log at the end of this file? */
function closedOnDisk(path: string): boolean {
  try {
    const b = readFileSync(path);
    return b.length >= TRAILER_BYTES && startsWithBytes(b, b.length - TRAILER_BYTES, TRAILER_MAGIC);
  } catch {
    return false;
  }
}

async function concurrencyCategory(h: Harness, rng: KeyedStream): Promise<PairFigures[]> {
  const pairs = h.o.quick ? 3 : 16;
  const steps = 40;
  const keyframeEvery = 10;
  const mode: RecordModeName = 'full';
  const full = await h.record(mode, 1, steps, keyframeEvery);
  const whole = subjectOf(full);
  const flags = [...h.runFlags(mode, steps, keyframeEvery), '--seed', '1', '--quiet', '--threads', '1'];
  const resumeArgs = (out: string) => ['run', 'baseline', '--resume', '--out', out, '--quiet', '--threads', '1'];
  const runArgs = (out: string) => ['run', 'baseline', ...flags, '--out', out];
  const staleLock = (out: string) => writeFileSync(`${out}.lock`, `${JSON.stringify({ pid: deadPid(), host: hostname() })}\n`);

  /** Starts A and B (B `offsetMs` after A, at one instant when 0), waits for both, and judges them. */
  const pair = async (f: PairFigures, prepare: (out: string) => void, argsA: (out: string) => string[], argsB: (out: string) => string[], offsetMs: number, opts: { checkLog: boolean; firstFinishes: boolean }) => {
    const dir = h.scratch();
    const out = join(dir, 'log.weft');
    prepare(out);
    const a = barriered(argsA(out), dir);
    const b = barriered(argsB(out), dir);
    await Promise.all([a.ready, b.ready]);
    const at = Date.now() + 30;
    a.child.send({ at });
    b.child.send({ at: at + offsetMs });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const intact = existsSync(out) && Buffer.from(readFileSync(out)).equals(Buffer.from(full));
    let outcome: PairOutcome;
    if (ra.code === 'hung' || rb.code === 'hung') outcome = 'hung';
    else if ([ra.code, rb.code].some((c) => c === 'died' || c === 4) || TRACE.test(ra.stderr + rb.stderr)) outcome = 'crashed';
    else if (ra.code === 0 && rb.code === 0) outcome = opts.firstFinishes ? 'rewritten' : 'two owners';
    else if (ra.code !== 0 && rb.code !== 0) outcome = 'none went on';
    else if (opts.checkLog && !intact) outcome = 'damaged log';
    else outcome = 'clean';
    f.outcomes[outcome]++;
    const label = `${f.scenario}${offsetMs ? `: B ${offsetMs} ms after A` : ''}`;
    const note = `exits ${ra.code}, ${rb.code}${opts.checkLog ? `; log ${intact ? 'is the uninterrupted run’s' : 'differs from the uninterrupted run’s'}` : ''}; A: ${lastLine(ra.stderr) || '-'} | B: ${lastLine(rb.stderr) || '-'}`;
    if (outcome !== 'clean') h.cases.push({ category: 'concurrency', mode, kind: f.scenario, label, reader: 'writers', outcome: outcome === 'crashed' || outcome === 'hung' ? outcome : outcome === 'none went on' ? 'other refusal' : 'WRONG', note: `${outcome}: ${note}` });
    h.log(`  concurrency: ${label}: ${outcome} (${note.slice(0, 160)})`);
    rmSync(dir, { recursive: true, force: true });
  };
  const figures = (scenario: string): PairFigures => ({ scenario, tries: pairs, outcomes: Object.fromEntries(PAIR_OUTCOMES.map((o) => [o, 0])) as Record<PairOutcome, number> });

  // 1. the lock itself: two LogWriter.create of one log at one instant, a dead writer's lock there
  const lockPair = figures('two LogWriter.create, stale lock');
  for (let i = 0; i < pairs; i++) await pair(lockPair, staleLock, (out) => ['--writer', out], (out) => ['--writer', out], 0, { checkLog: false, firstFinishes: false });

  // 2. two `run --resume` of one killed log, its lock left by the killed writer
  const resumeBoth = figures('two run --resume, stale lock');
  for (let i = 0; i < pairs; i++) {
    const k = 1 + rng.int(steps - 1);
    await pair(resumeBoth, (out) => {
      writeFileSync(out, killedPrefix(whole, k).bytes);
      staleLock(out);
    }, resumeArgs, resumeArgs, 0, { checkLog: true, firstFinishes: false });
  }

  // 3. two fresh runs into one --out, a dead writer's lock there
  const freshBoth = figures('two fresh runs, stale lock');
  for (let i = 0; i < pairs; i++) await pair(freshBoth, staleLock, runArgs, runArgs, 0, { checkLog: true, firstFinishes: false });

  // 4. `run --resume` while a writer is finishing: it must not take a log that has just completed.
  //    B is started around the instant A closes its log (measured on a run alone), a little before.
  const calibrateDir = h.scratch();
  const calibrateOut = join(calibrateDir, 'log.weft');
  const calibrate = barriered(runArgs(calibrateOut), calibrateDir);
  await calibrate.ready;
  const t0 = Date.now() + 30;
  calibrate.child.send({ at: t0 });
  let closeMs = -1;
  while (closeMs < 0) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (closedOnDisk(calibrateOut)) closeMs = Date.now() - t0;
  }
  await calibrate.done;
  const racing = figures('run --resume racing a finishing writer');
  for (let i = 0; i < pairs; i++) {
    const offset = Math.max(0, closeMs - 120 + rng.int(160));
    await pair(racing, () => {}, runArgs, resumeArgs, offset, { checkLog: true, firstFinishes: true });
  }
  return [lockPair, resumeBoth, freshBoth, racing];
}

// ---- category: bad configs --------------------------------------------------------------------

interface ConfigCase {
  args: string[];
  outcome: 'refused, one line' | 'refused, unclear' | 'accepted' | 'crashed' | 'hung';
  code: RawResult['code'];
  message: string;
}

const BAD_CONFIGS: string[][] = [
  ['--set', 'model.dModel=abc'], ['--set', 'model.nHeads=3'], ['--set', 'model.nLayers=1.5'], ['--set', 'model.nLayers=0'],
  ['--set', 'model.dropout=1.5'], ['--set', 'model.contextLength=0'], ['--set', 'model.vocabSize=1'], ['--set', 'data.batchSize=0'],
  ['--set', 'data.batchSize=1e9'], ['--set', 'optim.lr=-1'], ['--set', 'optim.lr=NaN'], ['--set', 'optim.lr=Infinity'],
  ['--set', 'optim.kind=adamw2'], ['--set', 'clip.maxNorm=-1'], ['--set', 'record.keyframeEvery=0'], ['--set', 'record.mode=bogus'],
  ['--set', 'no.such.key=1'], ['--set', 'model'], ['--set', 'model.nLayers='], ['--set', 'seed=1e400'],
  ['--steps', '-3'], ['--steps', 'abc'], ['--steps', '1.5'], ['--seed', '-1'], ['--seed', '1e400'], ['--record', 'bogus'], ['--model', 'huge'],
];

async function configCategory(h: Harness): Promise<ConfigCase[]> {
  const out: ConfigCase[] = [];
  for (const bad of h.o.quick ? BAD_CONFIGS.filter((_, i) => i % 3 === 0) : BAD_CONFIGS) {
    const r = await runChild(process.execPath, [WEFT_BIN, 'run', 'baseline', ...MICRO_SETS, '--steps', '2', '--no-log', '--quiet', '--threads', '1', ...bad], { cwd: h.work, timeoutMs: 60_000 });
    const lines = r.stderr.trim().split('\n').filter(Boolean);
    const key = bad[1].split('=')[0];
    let outcome: ConfigCase['outcome'];
    if (r.code === 'hung') outcome = 'hung';
    else if (r.code === 0) outcome = 'accepted';
    else if (r.code === 2) outcome = lines.length === 1 && (r.stderr.includes(key) || r.stderr.includes(bad[0])) ? 'refused, one line' : 'refused, unclear';
    else outcome = 'crashed';
    out.push({ args: bad, outcome, code: r.code, message: lines.slice(0, 2).join(' / ').slice(0, 200) });
    if (outcome !== 'refused, one line') h.cases.push({ category: 'configs', mode: '-', kind: 'bad config', label: bad.join(' '), reader: 'run', outcome: outcome === 'accepted' ? 'WRONG' : outcome === 'refused, unclear' ? 'other refusal' : outcome, note: `exit ${r.code}: ${lines.slice(0, 2).join(' / ').slice(0, 200)}` });
  }
  return out;
}

// ---- category: broken sweeps ------------------------------------------------------------------

type SweepOutcome = 'repaired' | 'refused, one line' | 'WRONG' | 'crashed' | 'hung' | 'fine' | 'detected' | 'other refusal';

interface SweepCase {
  damage: string;
  /** the same `weft sweep` command again: the sweep must end as the intact one (logs and manifest), or refuse */
  rerun: SweepOutcome;
  /** `weft sweep report DIR --json` of the damaged folder: the intact sweep's report, or a refusal */
  report: SweepOutcome;
  note: string;
}

async function sweepCategory(h: Harness): Promise<SweepCase[]> {
  const pristine = join(h.scratch(), 'sweep');
  const args = (dir: string) => ['sweep', 'baseline', '--out', dir, '--seeds', '1-2', ...MICRO_SETS, '--set', 'record.keyframeEvery=2', '--steps', '4', '--jobs', '1', '--quiet', '--threads', '1'];
  const first = await runChild(process.execPath, [WEFT_BIN, ...args(pristine)], { cwd: h.work });
  if (first.code !== 0) throw new Error(`weft sweep failed (${first.code}): ${first.stderr}`);
  const report = (dir: string) => runChild(process.execPath, [WEFT_BIN, 'sweep', 'report', dir, '--json', '--threads', '1'], { cwd: h.work });
  const intactReport = await report(pristine);
  const files = ['sweep.json', 'runs/seed=1.weft', 'runs/seed=2.weft'];
  const intact = new Map(files.map((f) => [f, readFileSync(join(pristine, f))]));
  const log1 = subjectOf(intact.get('runs/seed=1.weft')!);
  const log2 = subjectOf(intact.get('runs/seed=2.weft')!);
  const manifest = () => JSON.parse(intact.get('sweep.json')!.toString()) as { runs: Record<string, unknown>[] };
  const damages: [string, (dir: string) => void][] = [
    ['sweep.json deleted', (d) => rmSync(join(d, 'sweep.json'))],
    ['sweep.json cut in half', (d) => writeFileSync(join(d, 'sweep.json'), intact.get('sweep.json')!.subarray(0, intact.get('sweep.json')!.length >> 1))],
    ['sweep.json: "runs" is not a list', (d) => writeFileSync(join(d, 'sweep.json'), JSON.stringify({ ...manifest(), runs: 5 }))],
    ['sweep.json: a run\'s stateHash and finalLoss changed', (d) => {
      const m = manifest();
      Object.assign(m.runs[0], { stateHash: '0'.repeat(32), finalLoss: 1.5 });
      writeFileSync(join(d, 'sweep.json'), JSON.stringify(m, null, 2));
    }],
    ['a run\'s log deleted', (d) => rmSync(join(d, 'runs/seed=1.weft'))],
    ['a run\'s log cut in half (a killed run)', (d) => writeFileSync(join(d, 'runs/seed=1.weft'), log1.bytes.slice(0, log1.bytes.length >> 1))],
    ['a run\'s log: one bit flipped in a step', (d) => {
      const b = Uint8Array.from(log1.bytes);
      const f = log1.parts.frames.find((x) => x.kind === 'step' && x.step === 2)!;
      b[f.offset + 20] ^= 4;
      writeFileSync(join(d, 'runs/seed=1.weft'), b);
    }],
    ['a run\'s log: its keyframe 2 replaced by the other run\'s', (d) => {
      const f = log1.parts.frames.find((x) => x.kind === 'keyframe' && x.step === 2)!;
      const g = log2.parts.frames.find((x) => x.kind === 'keyframe' && x.step === 2)!;
      writeFileSync(join(d, 'runs/seed=1.weft'), assembleLog(log1.parts.head, log1.parts.frames.map((x) => (x === f ? g : x)), true));
    }],
    ['a run\'s log: its last step replaced by the other run\'s', (d) => {
      const f = log1.parts.frames.filter((x) => x.kind === 'step').at(-1)!;
      const g = log2.parts.frames.find((x) => x.kind === 'step' && x.step === f.step)!;
      writeFileSync(join(d, 'runs/seed=1.weft'), assembleLog(log1.parts.head, log1.parts.frames.map((x) => (x === f ? g : x)), true));
    }],
    ['a run\'s log: step 2 deleted (index rewritten)', (d) => writeFileSync(join(d, 'runs/seed=1.weft'), assembleLog(log1.parts.head, log1.parts.frames.filter((x) => !(x.kind === 'step' && x.step === 2)), true))],
  ];
  const out: SweepCase[] = [];
  for (const [damage, apply] of h.o.quick ? damages.filter((_, i) => i % 2 === 0) : damages) {
    const dir = join(h.scratch(), 'sweep');
    cpSync(pristine, dir, { recursive: true });
    apply(dir);
    const rep = await report(dir);
    const re = await runChild(process.execPath, [WEFT_BIN, ...args(dir)], { cwd: h.work });
    const differing = files.filter((f) => !existsSync(join(dir, f)) || !Buffer.from(readFileSync(join(dir, f))).equals(intact.get(f)!));
    const judged = (r: RawResult, good: SweepOutcome, same: boolean): SweepOutcome => {
      if (r.code === 'hung') return 'hung';
      if (r.code === 'died' || r.code === 4 || TRACE.test(r.stderr)) return 'crashed';
      if (r.code === 0) return same ? good : 'WRONG';
      if (r.code === 3) return 'detected';
      return r.stderr.trim().split('\n').length === 1 ? 'refused, one line' : 'other refusal';
    };
    const c: SweepCase = {
      damage,
      rerun: judged(re, 'repaired', differing.length === 0),
      report: judged(rep, 'fine', rep.stdout.replaceAll(dir, 'DIR') === intactReport.stdout.replaceAll(pristine, 'DIR')),
      note: `rerun exit ${re.code}${differing.length ? `, then ${differing.join(', ')} differ from the intact sweep's` : ''}: ${lastLine(re.stderr) || lastLine(re.stdout)} | report exit ${rep.code}: ${lastLine(rep.stderr) || '-'}`,
    };
    out.push(c);
    for (const [what, o] of [['rerun', c.rerun], ['report', c.report]] as const) {
      if (o === 'WRONG' || o === 'crashed' || o === 'hung') h.cases.push({ category: 'sweeps', mode: '-', kind: damage, label: damage, reader: `sweep ${what}`, outcome: o, note: c.note });
    }
    h.log(`  sweeps: ${damage}: rerun ${c.rerun}, report ${c.report}`);
    rmSync(dirname(dir), { recursive: true, force: true });
  }
  return out;
}

// ---- tables --------------------------------------------------------------------------------------

const LETTER: Record<Outcome, string> = { detected: 'd', 'no offset': 'n', fine: 'f', WRONG: 'W', 'other refusal': 'r', crashed: 'C', hung: 'H' };

function cell(t: Tally | undefined): string {
  if (!t) return '';
  return OUTCOMES.filter((o) => t[o]).map((o) => `${t[o]}${LETTER[o]}`).join(' ');
}

function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(headers), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n');
}

const LEGEND = 'd detected (exit 3, names a byte offset) · n exit 3, no offset · f fine (output equals the intact log\'s) · W SILENTLY WRONG · r refused as a difference or bad input (exit 1/2) · C crashed · H hung';

function printReport(o: Options, seed: number, kills: KillFigures[] | null, muts: MutationFigures | null, pairs: PairFigures[] | null, configs: ConfigCase[] | null, sweeps: SweepCase[] | null, cases: Case[], python: boolean, seconds: number): void {
  const p = (s = '') => process.stdout.write(`${s}\n`);
  p(`weft fault injection · seed ${seed} · ${o.quick ? 'quick' : 'full'} pass · ${seconds.toFixed(0)} s · Python reader ${python ? 'included' : 'absent (python3 numpy/msgpack missing)'}`);
  p(`reproduce: npx tsx scripts/fault-injection.ts${o.quick ? ' --quick' : ''} --seed ${seed}`);
  p(LEGEND);
  if (kills) {
    p('\nkills: SIGKILL of `weft run` at random instants; a killed log must read as the uninterrupted log up to its last complete frame, and --resume must give the uninterrupted log');
    const readerNames = Object.keys(kills[0].readers);
    p(table(['mode', 'tries', 'nothing readable', 'finished', 'not a prefix', ...readerNames, 'resume: identical/differs/refused/crashed/hung'], kills.map((k) => [
      k.mode, String(k.tries), String(k.beforeLog), String(k.finished), String(k.notPrefix), ...readerNames.map((r) => cell(k.readers[r])),
      `${k.resume.identical}/${k.resume.differs}/${k.resume.refused}/${k.resume.crashed}/${k.resume.hung}`,
    ])));
  }
  if (muts) {
    p('\nmutations × readers (all record modes; a cell counts the tries by outcome)');
    const readers = [...CLI_READERS, ...(python ? ['python'] : [])];
    p(table(['mutation', ...readers], Object.entries(muts.table).map(([kind, row]) => [`${kind}${muts.covered[kind] ? '' : ' *'}`, ...readers.map((r) => cell(row[r]))])));
    p('  * not covered by CONTRACT.md (a foreign step record between keyframes): informational');
    p('  first step of another run: R5 checks it by re-executing step 1 from the start keyframe; the Python reader can do that only in full logs');
    const sum = emptyTally();
    for (const [kind, row] of Object.entries(muts.table)) if (muts.covered[kind]) for (const t of Object.values(row)) for (const o of OUTCOMES) sum[o] += t[o];
    const reads = OUTCOMES.reduce((a, o) => a + sum[o], 0);
    p(`  covered kinds: ${reads} reads · ${sum.WRONG} SILENTLY WRONG · ${sum.crashed} crashed · ${sum.hung} hung · ${sum['no offset']} exit 3 without an offset · ${sum['other refusal']} refused as a difference or bad input`);
  }
  if (pairs) {
    p('\nconcurrent writers: pairs released at one instant');
    p(table(['scenario', 'tries', ...PAIR_OUTCOMES], pairs.map((f) => [f.scenario, String(f.tries), ...PAIR_OUTCOMES.map((o) => String(f.outcomes[o]))])));
    p('  clean: one went on, the other was refused, the log is the uninterrupted run\'s · rewritten: a log that had completed was written again');
  }
  if (configs) {
    p('\nbad configs and flags to `weft run`');
    const by = new Map<string, string[]>();
    for (const c of configs) by.set(c.outcome, [...(by.get(c.outcome) ?? []), c.args.join(' ')]);
    for (const [outcome, args] of by) p(`  ${outcome} (${args.length}): ${args.join(' · ')}`);
  }
  if (sweeps) {
    p('\nbroken sweeps: the same `weft sweep` again (it must end as the intact sweep, or refuse), and `weft sweep report --json` of the damaged folder');
    p(table(['damage', 'rerun', 'report'], sweeps.map((c) => [c.damage, c.rerun, c.report])));
  }
  const bad = cases.filter((c) => c.outcome === 'WRONG' || c.outcome === 'crashed' || c.outcome === 'hung');
  if (bad.length) {
    p(`\nthe silently wrong, crashed and hung cases (first 3 per category, kind, reader and outcome; all of them with --json)`);
    const seen = new Map<string, number>();
    for (const c of bad) {
      const key = `${c.category}|${c.kind}|${c.reader}|${c.outcome}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n <= 3) p(`  ${c.outcome.padEnd(7)} ${c.reader.padEnd(8)} ${c.mode.padEnd(7)} ${c.label}: ${c.note}`);
    }
  }
}

// ---- main ------------------------------------------------------------------------------------------

function parseOptions(argv: string[]): Options {
  const only = new Set(['kills', 'mutations', 'concurrency', 'configs', 'sweeps']);
  const o: Options = { quick: false, json: false, seed: 20, only };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--only') o.only = new Set(argv[++i].split(','));
    else throw new Error(`unknown argument ${a}; usage: npx tsx scripts/fault-injection.ts [--quick] [--json] [--seed S] [--only kills,mutations,concurrency,configs,sweeps]`);
  }
  if (!Number.isSafeInteger(o.seed)) throw new Error('--seed: an integer');
  return o;
}

async function harnessMain(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const h = new Harness(o);
  const started = performance.now();
  try {
    h.log(`weft fault injection: seed ${o.seed}, work in ${h.work}`);
    const kills = o.only.has('kills') ? await killCategory(h, keyedStream(o.seed, 'fault-injection/kills')) : null;
    const muts = o.only.has('mutations') ? await mutationCategory(h, o.seed) : null;
    const pairs = o.only.has('concurrency') ? await concurrencyCategory(h, keyedStream(o.seed, 'fault-injection/concurrency')) : null;
    const configs = o.only.has('configs') ? await configCategory(h) : null;
    const sweeps = o.only.has('sweeps') ? await sweepCategory(h) : null;
    const seconds = (performance.now() - started) / 1000; // timing: printed, never compared
    if (o.json) process.stdout.write(`${JSON.stringify({ seed: o.seed, quick: o.quick, python: h.python, seconds, kills, mutations: muts, concurrency: pairs, configs, sweeps, cases: h.cases }, null, 2)}\n`);
    else printReport(o, o.seed, kills, muts, pairs, configs, sweeps, h.cases, h.python, seconds);
  } finally {
    h.host.close();
    rmSync(h.work, { recursive: true, force: true });
  }
}

if (process.argv[1] && existsSync(process.argv[1]) && realpathSync(process.argv[1]) === realpathSync(SELF)) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--reader-process') await readerProcess();
  else if (argv[0] === '--barrier') await barrierProcess(argv.slice(2));
  else await harnessMain(argv);
}
