import { closeSync, fstatSync, openSync } from 'node:fs';
import { MemorySource, type ByteSource } from './bytes.ts';
import { FileSource } from './files.ts';
import { crc32 } from './crc32.ts';
import { LogCorruptError, LogFormatError, UsageError } from '../errors.ts';
import {
  FILE_HEADER_BYTES, FILE_MAGIC, FORMAT_VERSION, FRAME_HEADER_BYTES, RECORD_BYTES_MAX, startsWith, TRAILER_BYTES,
  TRAILER_MAGIC, viewAs,
} from './format.ts';
import { unpack } from './msgpack.ts';
import { decodeEval, type Evaluation } from './evals.ts';
import { KIND_CODES, type AnomalyRecord, type EndRecord, type EvalRecord, type HeaderRecord, type IndexRecord, type KeyframeRecord, type LogRecord, type ProbeRecord, type RecordKind, type StepRecordBody } from './records.ts';
import { recordProblem } from './schema.ts';
import { completeConfig } from '../config/evolution.ts';
import { NUMERIC_MODES, numericModeOf } from '../kernels/modes.ts';
import { WEFT_VERSION } from '../version.ts';
import { stepView, type StepView } from './steps.ts';
import { unstartedLogError } from './unstarted.ts';

export interface FrameRef {
  offset: number;
  /** offset of the next frame (= this frame's end) */
  end: number;
  kind: RecordKind;
  step: number;
  /** its place in the log's frame table (record numbers in messages) */
  index: number;
}

/** What a log without its end record says of its run: the log cannot tell a kill from a failed write or a program that never closed it. */
export const NO_END_RECORD = 'no end record: the run stopped without closing its log (killed, a failed write, or never closed)';

/** Damage to a closed log's index or trailer: the frames still read by scanning, but a whole-log check reports it. */
export interface IndexDamage {
  offset: number;
  what: string;
  /** where the trailer says the index starts, when that is a place a frame could start (else −1) */
  indexAt?: number;
}

const KIND_BY_CODE = Object.fromEntries(Object.entries(KIND_CODES).map(([k, v]) => [v, k])) as Record<number, RecordKind>;

/**
 * Reads a `.weft` log. Opening reads the header record and the frame table: from the index when
 * the log was closed, else by scanning frame headers and checksums (a killed run), dropping a
 * torn tail. Records are read, checksum-verified and schema-validated when asked for.
 */
export class LogReader {
  readonly path: string;
  readonly sizeBytes: number;
  readonly header: HeaderRecord;
  readonly frames: FrameRef[];
  /** true when the frame table came from the index (the run closed cleanly). */
  readonly indexed: boolean;
  /** bytes after the last intact frame that were dropped (a torn tail); 0 when none. */
  readonly tornTailBytes: number;
  /**
   * A closed log whose index or trailer is damaged (null when intact, or when the run was killed
   * before closing): the frames were read by scanning, so what they hold is checked, but
   * checkIntegrity reports it.
   */
  readonly indexDamage: IndexDamage | null = null;
  private readonly source: ByteSource;
  private readonly stepFrames = new Map<number, FrameRef>();
  private readonly keyframeFrames = new Map<number, FrameRef>();
  readonly keyframeSteps: number[] = [];
  readonly anomalyFrames: FrameRef[] = [];
  /** attention probes (format 2), in step order */
  readonly probeFrames: FrameRef[] = [];
  /** held-out evaluations (format 3), in step order */
  readonly evalFrames: FrameRef[] = [];
  readonly endFrame: FrameRef | null = null;
  private readonly lastStepCached: number;

  constructor(path: string, source: ByteSource) {
    this.path = path;
    this.source = source;
    this.sizeBytes = source.size;
    const head = this.readBytes(0, Math.min(FILE_HEADER_BYTES, this.sizeBytes));
    if (head.length < FILE_HEADER_BYTES || !startsWith(head, FILE_MAGIC)) {
      // a magic off by a bit or two is a weft log damaged there, not some other file
      if (head.length >= FILE_MAGIC.length && bitsDiffering(head.subarray(0, FILE_MAGIC.length), FILE_MAGIC) <= 2) {
        throw new LogCorruptError(path, 0, null, 'the file magic "WEFTLOG\\n" is damaged');
      }
      throw new LogFormatError(`${path}: not a weft log (bytes 0…7 are not "WEFTLOG\\n")`);
    }
    const dvHead = new DataView(head.buffer, head.byteOffset);
    const version = dvHead.getUint32(8, true);
    if (version > FORMAT_VERSION) throw this.newer(`log format ${version} (byte 8)`, this.writtenBy());
    if (version < 1) throw new LogCorruptError(path, 8, null, `bad format version ${version}`);
    if (dvHead.getUint32(12, true) !== 0) throw new LogCorruptError(path, 12, null, 'reserved header bytes are not zero');
    const closed = this.sizeBytes >= FILE_HEADER_BYTES + TRAILER_BYTES && startsWith(this.readBytes(this.sizeBytes - TRAILER_BYTES, TRAILER_BYTES), TRAILER_MAGIC);
    const fromIndex = closed ? this.framesFromIndex() : null;
    if (fromIndex && !('what' in fromIndex)) {
      this.frames = fromIndex;
      this.indexed = true;
      this.tornTailBytes = 0;
    } else {
      if (fromIndex) this.indexDamage = fromIndex;
      // a trailer that still names where its index starts bounds the scan there
      const scanned = this.scanFrames(closed, fromIndex?.indexAt ?? -1);
      this.frames = scanned.frames;
      this.tornTailBytes = scanned.tornTailBytes;
      this.indexed = false;
      this.indexDamage ??= scanned.indexDamage;
    }
    if (this.frames.length === 0 || this.frames[0].kind !== 'header') throw new LogCorruptError(path, FILE_HEADER_BYTES, 0, 'the first record is not a header');
    const stored = this.readRecord(this.frames[0]) as HeaderRecord;
    // the config as this weft reads it: keys added since the log was written, as they were then
    this.header = { ...stored, config: completeConfig(stored.config) };
    if (stored.arch !== undefined && stored.arch !== this.header.config.model.arch) {
      throw new LogCorruptError(path, FILE_HEADER_BYTES, 0, `the header names architecture ${JSON.stringify(stored.arch)}, its config ${JSON.stringify(this.header.config.model.arch)}`);
    }
    // a mode this weft knows must be its config's (one it does not know is refused where it would run)
    const known = Object.values(NUMERIC_MODES) as string[];
    if (known.includes(stored.numericMode) && stored.numericMode !== numericModeOf(this.header.config.numeric)) {
      throw new LogCorruptError(path, FILE_HEADER_BYTES, 0, `the header names numeric mode ${JSON.stringify(stored.numericMode)}, its config ${JSON.stringify(this.header.config.numeric)} (${numericModeOf(this.header.config.numeric)})`);
    }
    checkParamTable(path, this.header);
    const filed = this.fileFrames();
    this.lastStepCached = filed.last;
    this.endFrame = filed.end;
  }

  /**
   * Files the frames by kind and checks the log's structure, as the recorder writes it: one
   * header, first; step records startStep+1, +2, … in order, none missing or twice; a keyframe,
   * probe or evaluation only at the step just recorded (or the start), at most one each, and
   * probes and evaluations only in a log of a format that has them; an anomaly at the last
   * step or the one after it, and no step after it; at most one end record, last.
   */
  private fileFrames(): { last: number; end: FrameRef | null } {
    const start = this.header.startStep;
    let last = start;
    let anomaly: FrameRef | null = null;
    let end: FrameRef | null = null;
    const bad = (f: FrameRef, what: string) => new LogCorruptError(this.path, f.offset, f.index, what);
    const probeSteps = new Set<number>();
    const evalSteps = new Set<number>();
    for (const f of this.frames.slice(1)) {
      if (end) throw bad(f, `a ${f.kind} record after the end record`);
      if (f.kind === 'header') throw bad(f, 'a second header record');
      else if (f.kind === 'step') {
        if (anomaly) throw bad(f, `step ${f.step} recorded after the run stopped on NaN/Inf at step ${anomaly.step}`);
        if (f.step !== last + 1) {
          throw bad(f, f.step <= last ? `step ${f.step} recorded again (after step ${last})` : `step ${f.step} follows step ${last}: ${f.step - last - 1 === 1 ? `step ${last + 1} is` : `steps ${last + 1}…${f.step - 1} are`} missing`);
        }
        this.stepFrames.set(f.step, f);
        last = f.step;
      } else if (f.kind === 'keyframe') {
        if (f.step !== last) throw bad(f, `a keyframe of step ${f.step} where the log is at step ${last}`);
        if (this.keyframeFrames.has(f.step)) throw bad(f, `a second keyframe of step ${f.step}`);
        this.keyframeFrames.set(f.step, f);
        this.keyframeSteps.push(f.step);
      } else if (f.kind === 'probe') {
        if (this.header.format < 2) throw bad(f, `a probe record in a format-${this.header.format} log (probes came with format 2)`);
        if (f.step !== last) throw bad(f, `attention probes of step ${f.step} where the log is at step ${last}`);
        if (probeSteps.has(f.step)) throw bad(f, `a second probe record of step ${f.step}`);
        probeSteps.add(f.step);
        this.probeFrames.push(f);
      } else if (f.kind === 'eval') {
        if (this.header.format < 3) throw bad(f, `an eval record in a format-${this.header.format} log (evaluations came with format 3)`);
        if (f.step !== last) throw bad(f, `an evaluation of step ${f.step} where the log is at step ${last}`);
        if (evalSteps.has(f.step)) throw bad(f, `a second eval record of step ${f.step}`);
        evalSteps.add(f.step);
        this.evalFrames.push(f);
      } else if (f.kind === 'anomaly') {
        if (anomaly) throw bad(f, 'a second anomaly record');
        if (f.step !== last && f.step !== last + 1) throw bad(f, `an anomaly at step ${f.step} where the log is at step ${last}`);
        anomaly = f;
        this.anomalyFrames.push(f);
      } else if (f.kind === 'end') end = f;
    }
    return { last, end };
  }

  static open(path: string): LogReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new LogFormatError(code === 'ENOENT' ? `${path}: no such file` : code === 'EISDIR' ? `${path}: is a directory, not a log` : `${path}: cannot open (${code})`);
    }
    // Linux opens a directory for reading; only the first read fails, without naming the path
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw new LogFormatError(`${path}: is a directory, not a log`);
    }
    const source = new FileSource(fd);
    try {
      return new LogReader(path, source);
    } catch (e) {
      source.close();
      throw e;
    }
  }

  close(): void {
    this.source.close();
  }

  private readBytes(offset: number, n: number): Uint8Array {
    return this.source.read(offset, n);
  }

  /**
   * The frame table from a closed log's index, or what is wrong with the trailer or the index (the
   * frames are then read by scanning: a damaged index loses a shortcut, not data).
   */
  private framesFromIndex(): FrameRef[] | IndexDamage {
    const trailerAt = this.sizeBytes - TRAILER_BYTES;
    const t = this.readBytes(trailerAt, TRAILER_BYTES);
    const at = new DataView(t.buffer).getFloat64(8, true);
    if (!Number.isSafeInteger(at) || at < FILE_HEADER_BYTES || at > trailerAt - FRAME_HEADER_BYTES) {
      return { offset: trailerAt, what: `the trailer's index offset ${at} is not a frame before it` };
    }
    let index: IndexRecord;
    try {
      const body = this.frameBody(at, trailerAt, null);
      if (body.end !== trailerAt) return { offset: at, what: 'the index frame does not end at the trailer', indexAt: -1 };
      const rec = this.decodeBody(body.bytes, at, null);
      if (rec.kind !== 'index') return { offset: at, what: `the trailer leads to a ${rec.kind} record, not the index`, indexAt: -1 };
      index = rec;
    } catch (e) {
      return { offset: at, what: `the index is damaged (${e instanceof LogCorruptError ? e.message.replace(/^.*?: corrupt( at byte \d+)?: /, '') : (e as Error).message})`, indexAt: at };
    }
    const offsets = viewAs(index.offsets, Float64Array);
    const steps = viewAs(index.steps, Float64Array);
    if (offsets.length !== index.kinds.length || steps.length !== offsets.length || offsets.length === 0) return { offset: at, what: 'the index\'s offsets, kinds and steps differ in length', indexAt: at };
    const frames: FrameRef[] = [];
    for (let i = 0; i < offsets.length; i++) {
      const kind = KIND_BY_CODE[index.kinds[i]];
      const end = i + 1 < offsets.length ? offsets[i + 1] : at;
      const ok = kind && kind !== 'index' && Number.isSafeInteger(offsets[i]) && (i > 0 || offsets[0] === FILE_HEADER_BYTES) && end > offsets[i] && end <= at && Number.isSafeInteger(steps[i]) && steps[i] >= -1;
      if (!ok) return { offset: at, what: `the index's entry ${i} is not a frame of the log`, indexAt: at };
      frames.push({ offset: offsets[i], end, kind, step: steps[i], index: i });
    }
    return frames;
  }

  /**
   * Walks the frames from the start, checking every checksum. Only a log that was not closed (no
   * trailer) can end in a torn frame — the write a kill cut short — and only when no one-bit
   * change of its length gives a frame whose checksum checks: that is a flipped length bit, not a
   * torn write. An index frame may come only last: before the trailer, or at the end of a log killed
   * while closing (after the index, before the trailer). `indexAt`: where a closed log's trailer
   * says its (damaged) index starts; the frames end there.
   */
  private scanFrames(closed: boolean, indexAt: number): { frames: FrameRef[]; tornTailBytes: number; indexDamage: IndexDamage | null } {
    const frames: FrameRef[] = [];
    const limit = closed ? this.sizeBytes - TRAILER_BYTES : this.sizeBytes;
    let offset = FILE_HEADER_BYTES;
    while (offset < limit) {
      if (offset === indexAt) break; // the damaged index the trailer leads to: the frames end here
      const remaining = limit - offset;
      if (remaining < FRAME_HEADER_BYTES) {
        if (closed) throw new LogCorruptError(this.path, offset, frames.length, `${remaining} bytes before the trailer are not a frame`);
        return { frames, tornTailBytes: remaining, indexDamage: null };
      }
      const h = this.readBytes(offset, FRAME_HEADER_BYTES);
      const dv = new DataView(h.buffer);
      const len = dv.getUint32(0, true);
      if (len > remaining - FRAME_HEADER_BYTES) {
        if (closed) throw new LogCorruptError(this.path, offset, frames.length, `record length ${len} runs past the trailer`);
        if (this.lengthBitFlipped(offset, len, dv.getUint32(4, true), remaining)) {
          throw new LogCorruptError(this.path, offset, frames.length, `record length ${len} is damaged (one bit off, the frame's checksum checks)`);
        }
        return { frames, tornTailBytes: remaining, indexDamage: null };
      }
      const body = this.frameBody(offset, limit, frames.length);
      const rec = this.decodeBody(body.bytes, offset, frames.length);
      if (rec.kind === 'index') {
        const after = this.sizeBytes - body.end;
        if (closed || after === 0) return { frames, tornTailBytes: 0, indexDamage: null };
        // the bytes after an index can only be its trailer: whole (damaged) or cut short by a kill
        if (after < TRAILER_BYTES) return { frames, tornTailBytes: after, indexDamage: null };
        if (after === TRAILER_BYTES) return { frames, tornTailBytes: 0, indexDamage: { offset: body.end, what: 'the trailer is damaged (it does not start with "WEFTIDX\\n")' } };
        throw new LogCorruptError(this.path, offset, frames.length, 'an index record before the end of the log');
      }
      frames.push({ offset, end: body.end, kind: rec.kind, step: 'step' in rec && typeof rec.step === 'number' ? rec.step : -1, index: frames.length });
      offset = body.end;
    }
    return { frames, tornTailBytes: 0, indexDamage: null };
  }

  /** Whether a length one bit off from `len` (shorter, so within the file) makes a frame whose checksum checks. */
  private lengthBitFlipped(offset: number, len: number, crc: number, remaining: number): boolean {
    const room = remaining - FRAME_HEADER_BYTES;
    const candidates: number[] = [];
    for (let b = 0; b < 32; b++) {
      const l = (len ^ (1 << b)) >>> 0;
      if (l < len && l <= room) candidates.push(l);
    }
    if (candidates.length === 0) return false;
    const bytes = this.readBytes(offset + FRAME_HEADER_BYTES, Math.max(...candidates));
    return candidates.some((l) => crc32(bytes.subarray(0, l)) === crc);
  }

  /** Reads one frame's body and verifies its length bound and checksum. */
  private frameBody(offset: number, limit: number, record: number | null): { bytes: Uint8Array; end: number } {
    const h = this.readBytes(offset, FRAME_HEADER_BYTES);
    if (h.length < FRAME_HEADER_BYTES) throw new LogCorruptError(this.path, offset, record, 'frame header cut short');
    const dv = new DataView(h.buffer);
    const len = dv.getUint32(0, true);
    const crc = dv.getUint32(4, true);
    if (len > RECORD_BYTES_MAX || offset + FRAME_HEADER_BYTES + len > limit) throw new LogCorruptError(this.path, offset, record, `record length ${len} runs past the end of its space`);
    const bytes = this.readBytes(offset + FRAME_HEADER_BYTES, len);
    if (bytes.length !== len) throw new LogCorruptError(this.path, offset, record, 'record body cut short');
    const actual = crc32(bytes);
    if (actual !== crc) throw new LogCorruptError(this.path, offset, record, `checksum mismatch (stored ${crc.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')})`);
    return { bytes, end: offset + FRAME_HEADER_BYTES + len };
  }

  private decodeBody(bytes: Uint8Array, offset: number, record: number | null): LogRecord {
    let body: unknown;
    try {
      body = unpack(bytes);
    } catch (e) {
      throw new LogCorruptError(this.path, offset, record, `undecodable msgpack (${(e as Error).message})`);
    }
    const problem = recordProblem(body);
    if (problem) {
      // a header this weft cannot read, written by a newer one (a key added since): not damage
      const weft = (body as { kind?: unknown; weft?: unknown }).kind === 'header' ? (body as { weft?: unknown }).weft : null;
      if (typeof weft === 'string' && newerVersion(weft, WEFT_VERSION)) throw this.newer(`log format ${(body as { format?: unknown }).format}`, weft, problem);
      throw new LogCorruptError(this.path, offset, record, `invalid record: ${problem}`);
    }
    return body as LogRecord;
  }

  /** The weft that wrote the log, as its header record says (best effort: for a message), or null. */
  private writtenBy(): string | null {
    try {
      const len = new DataView(this.readBytes(FILE_HEADER_BYTES, 4).buffer).getUint32(0, true);
      if (len > RECORD_BYTES_MAX) return null;
      const body = unpack(this.readBytes(FILE_HEADER_BYTES + FRAME_HEADER_BYTES, len)) as { weft?: unknown };
      return typeof body.weft === 'string' ? body.weft : null;
    } catch {
      return null;
    }
  }

  /** A log written by a newer weft: refused by its version (exit 2), never called corrupt. */
  private newer(format: string, weft: string | null, why?: string): LogFormatError {
    return new LogFormatError(`${this.path}: written by ${weft ? `weft ${weft}` : 'a newer weft'} (${format}); this weft (${WEFT_VERSION}) reads log formats 1–${FORMAT_VERSION}${why ? ` and not ${why}` : ''}: upgrade weft`);
  }

  /** Reads, verifies and validates the record of a frame. */
  readRecord(f: FrameRef): LogRecord {
    const i = f.index;
    const body = this.frameBody(f.offset, f.end, i);
    if (body.end !== f.end) throw new LogCorruptError(this.path, f.offset, i, 'record length disagrees with the index');
    const rec = this.decodeBody(body.bytes, f.offset, i);
    if (rec.kind !== f.kind) throw new LogCorruptError(this.path, f.offset, i, `record is a ${rec.kind}, the index says ${f.kind}`);
    const step = 'step' in rec && typeof rec.step === 'number' ? rec.step : -1;
    if (step !== f.step) throw new LogCorruptError(this.path, f.offset, i, `record is of step ${step}, the index says step ${f.step}`);
    return rec;
  }

  /** Steps with a step record, ascending. */
  get stepNumbers(): number[] {
    return [...this.stepFrames.keys()];
  }

  get firstStep(): number {
    return this.header.startStep + 1;
  }

  /** The last step whose record is intact (startStep when none). */
  get lastStep(): number {
    return this.lastStepCached;
  }

  /** Byte offset of a step's or keyframe's frame (for error messages), −1 when absent. */
  offsetOf(kind: 'step' | 'keyframe', step: number): number {
    return (kind === 'step' ? this.stepFrames : this.keyframeFrames).get(step)?.offset ?? -1;
  }

  /** A LogCorruptError about the record of a step (or keyframe), naming its byte offset. */
  corrupt(kind: 'step' | 'keyframe', step: number, what: string): LogCorruptError {
    const f = (kind === 'step' ? this.stepFrames : this.keyframeFrames).get(step);
    return new LogCorruptError(this.path, f?.offset ?? -1, f ? f.index : null, `${kind} ${step}: ${what}`);
  }

  hasStep(step: number): boolean {
    return this.stepFrames.has(step);
  }

  readStep(step: number): StepRecordBody {
    const f = this.stepFrames.get(step);
    if (!f) {
      if (step < this.firstStep || step > this.lastStep) throw new UsageError(`${this.path}: no step ${step} (the log holds steps ${this.firstStep}…${this.lastStep})`);
      throw new LogCorruptError(this.path, -1, null, `step ${step} has no record, though the log holds steps ${this.firstStep}…${this.lastStep}`);
    }
    return this.readRecord(f) as StepRecordBody;
  }

  /** The step records in order, with scalars and batches decoded (arrays stay encoded). */
  *steps(): Generator<StepView> {
    for (const n of this.stepFrames.keys()) yield stepView(this.readStep(n));
  }

  /** One step, decoded like steps() yields it. */
  step(n: number): StepView {
    return stepView(this.readStep(n));
  }

  readKeyframe(step: number): KeyframeRecord {
    const f = this.keyframeFrames.get(step);
    if (!f) throw new UsageError(`${this.path}: no keyframe at step ${step} (keyframes: ${this.keyframeSteps.join(', ') || 'none'})`);
    return this.readRecord(f) as KeyframeRecord;
  }

  readEnd(): EndRecord | null {
    return this.endFrame ? (this.readRecord(this.endFrame) as EndRecord) : null;
  }

  readAnomalies(): AnomalyRecord[] {
    return this.anomalyFrames.map((f) => this.readRecord(f) as AnomalyRecord);
  }

  /** The attention probes, in step order (none without config.probe). */
  readProbes(): ProbeRecord[] {
    return this.probeFrames.map((f) => this.readRecord(f) as ProbeRecord);
  }

  /** The held-out evaluations, in step order (none without config.eval). */
  readEvals(): Evaluation[] {
    return this.evalFrames.map((f) => decodeEval(this.readRecord(f) as EvalRecord));
  }

  /** Verifies every record's checksum and schema; throws LogCorruptError at the first bad one. */
  verifyAll(): void {
    for (const f of this.frames) this.readRecord(f);
  }

  /**
   * Everything a reader that takes the whole log on trust must check: every frame's checksum, the
   * structure (steps contiguous, the index consistent with the frames, the end record and the
   * trailer). Throws a LogCorruptError naming the first damage's offset — a damaged index or
   * trailer only once every frame has checked out; returns the frames checked.
   * inspect, verify, diff, sweep merge and the sweep's "finished" test call it.
   */
  checkIntegrity(): number {
    const start = this.header.startStep;
    let startHash: string | null = null;
    let lastHash: string | null = null;
    for (const f of this.frames) {
      const rec = this.readRecord(f);
      if (rec.kind === 'step') lastHash = rec.stateHash;
      else if (rec.kind === 'keyframe') {
        if (rec.step === start) startHash = rec.stateHash;
        // by the structure, a keyframe after the start follows its step's record: the same state
        else if (rec.stateHash !== lastHash) throw this.corrupt('keyframe', rec.step, `its state hash ${rec.stateHash.slice(0, 16)}… is not step ${rec.step}'s (${lastHash?.slice(0, 16)}…): a keyframe of another run`);
      } else if (rec.kind === 'end') {
        const hash = lastHash ?? startHash;
        if (rec.steps !== this.lastStep) throw new LogCorruptError(this.path, f.offset, f.index, `the end record says ${rec.steps} steps, the log holds steps to ${this.lastStep}`);
        if (hash !== null && rec.stateHash !== hash) throw new LogCorruptError(this.path, f.offset, f.index, `the end record's state hash ${rec.stateHash.slice(0, 16)}… is not the last step's (${hash.slice(0, 16)}…)`);
      }
    }
    // last, so that a caller catching it knows every frame is intact (inspect says so)
    if (this.indexDamage) throw new LogCorruptError(this.path, this.indexDamage.offset, null, this.indexDamage.what);
    return this.frames.length;
  }

  /**
   * Checks every frame's length and checksum without decoding it (a 200 MB log in a fraction of
   * a second); a LogCorruptError names the first bad frame's offset and record. Returns how many.
   */
  checkChecksums(): number {
    for (const f of this.frames) {
      if (this.frameBody(f.offset, f.end, f.index).end !== f.end) throw new LogCorruptError(this.path, f.offset, f.index, 'record length disagrees with the index');
    }
    if (this.indexDamage) throw new LogCorruptError(this.path, this.indexDamage.offset, null, this.indexDamage.what);
    return this.frames.length;
  }
}

/**
 * The header's parameter table is whole: each tensor's size is the product of its shape, and the
 * tensors lie back to back from offset 0 (the model's own table is compared in replay/).
 */
function checkParamTable(path: string, h: HeaderRecord): void {
  let offset = 0;
  h.params.forEach((p, i) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (p.size !== size || p.offset !== offset) {
      throw new LogCorruptError(path, FILE_HEADER_BYTES, 0, `header.params[${i}] (${p.name}): ${p.size !== size ? `size ${p.size}, its shape [${p.shape.join(', ')}] holds ${size}` : `offset ${p.offset}, expected ${offset}`}`);
    }
    offset += size;
  });
}

/** Whether version a (x.y.z) is newer than b. */
function newerVersion(a: string, b: string): boolean {
  const pa = a.split(/[.+-]/).map(Number);
  const pb = b.split(/[.+-]/).map(Number);
  for (let i = 0; i < 3; i++) {
    if (!Number.isFinite(pa[i]) || !Number.isFinite(pb[i])) return false;
    if (pa[i] !== pb[i]) return pa[i] > pb[i];
  }
  return false;
}

/** How many bits two byte strings of one length differ in. */
function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i] ^ b[i]; x; x &= x - 1) n++;
  return n;
}

export function openLog(path: string): LogReader {
  try {
    return LogReader.open(path);
  } catch (e) {
    // a file that holds no complete record because its run was killed as it started is said so
    // (exit 3, and how to restart it), by every command alike, not as a foreign file or damage
    if (e instanceof LogCorruptError || e instanceof LogFormatError) throw unstartedLogError(path) ?? e;
    throw e;
  }
}

/** A log held in memory (`name` stands for its path in messages). */
export function openLogBytes(bytes: Uint8Array, name = 'log.weft'): LogReader {
  return new LogReader(name, new MemorySource(bytes));
}
