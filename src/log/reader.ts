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
import { KIND_CODES, type AnomalyRecord, type EndRecord, type HeaderRecord, type IndexRecord, type KeyframeRecord, type LogRecord, type ProbeRecord, type RecordKind, type StepRecordBody } from './records.ts';
import { recordProblem } from './schema.ts';
import { stepView, type StepView } from './steps.ts';

export interface FrameRef {
  offset: number;
  /** offset of the next frame (= this frame's end) */
  end: number;
  kind: RecordKind;
  step: number;
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
  private readonly source: ByteSource;
  private readonly stepFrames = new Map<number, FrameRef>();
  private readonly keyframeFrames = new Map<number, FrameRef>();
  readonly keyframeSteps: number[] = [];
  readonly anomalyFrames: FrameRef[] = [];
  /** attention probes (format 2), in step order */
  readonly probeFrames: FrameRef[] = [];
  readonly endFrame: FrameRef | null = null;
  private readonly lastStepCached: number;
  /** Where an index frame found by scanning ends (a closed log whose trailer did not lead to it), else −1. */
  private scannedIndexEnd = -1;

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
    if (version > FORMAT_VERSION) throw new LogFormatError(`${path}: log format version ${version} (byte 8) is newer than this weft reads (${FORMAT_VERSION}); upgrade weft`, 3);
    if (version < 1) throw new LogCorruptError(path, 8, null, `bad format version ${version}`);
    if (dvHead.getUint32(12, true) !== 0) throw new LogCorruptError(path, 12, null, 'reserved header bytes are not zero');
    const fromIndex = this.framesFromIndex();
    let torn = 0;
    if (fromIndex) {
      this.frames = fromIndex;
      this.indexed = true;
    } else {
      const scanned = this.scanFrames();
      this.frames = scanned.frames;
      torn = scanned.tornTailBytes;
      this.indexed = false;
    }
    this.tornTailBytes = torn;
    if (this.frames.length === 0 || this.frames[0].kind !== 'header') throw new LogCorruptError(path, FILE_HEADER_BYTES, 0, 'the first record is not a header');
    this.header = this.readRecord(this.frames[0], 0) as HeaderRecord;
    let end: FrameRef | null = null;
    for (const f of this.frames) {
      if (f.kind === 'step') this.stepFrames.set(f.step, f);
      else if (f.kind === 'keyframe') {
        this.keyframeFrames.set(f.step, f);
        this.keyframeSteps.push(f.step);
      } else if (f.kind === 'anomaly') this.anomalyFrames.push(f);
      else if (f.kind === 'probe') this.probeFrames.push(f);
      else if (f.kind === 'end') end = f;
    }
    this.endFrame = end;
    let last = this.header.startStep;
    for (const st of this.stepFrames.keys()) if (st > last) last = st;
    this.lastStepCached = last;
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

  /** The frame table from the trailer's index, or null when there is none or it does not check out. */
  private framesFromIndex(): FrameRef[] | null {
    if (this.sizeBytes < FILE_HEADER_BYTES + TRAILER_BYTES) return null;
    const t = this.readBytes(this.sizeBytes - TRAILER_BYTES, TRAILER_BYTES);
    if (!startsWith(t, TRAILER_MAGIC)) return null;
    const at = new DataView(t.buffer).getFloat64(8, true);
    if (!Number.isSafeInteger(at) || at < FILE_HEADER_BYTES || at > this.sizeBytes - TRAILER_BYTES - FRAME_HEADER_BYTES) return null;
    let index: IndexRecord;
    try {
      const body = this.frameBody(at, this.sizeBytes - TRAILER_BYTES, null);
      if (body.end !== this.sizeBytes - TRAILER_BYTES) return null;
      const rec = this.decodeBody(body.bytes, at, null);
      if (rec.kind !== 'index') return null;
      index = rec;
    } catch {
      return null; // a damaged index is only a lost shortcut: scan instead
    }
    const offsets = viewAs(index.offsets, Float64Array);
    const steps = viewAs(index.steps, Float64Array);
    if (offsets.length !== index.kinds.length || steps.length !== offsets.length || offsets.length === 0) return null;
    const frames: FrameRef[] = [];
    for (let i = 0; i < offsets.length; i++) {
      const kind = KIND_BY_CODE[index.kinds[i]];
      const end = i + 1 < offsets.length ? offsets[i + 1] : at;
      if (!kind || kind === 'index' || !Number.isSafeInteger(offsets[i]) || offsets[i] < FILE_HEADER_BYTES || end <= offsets[i] || end > at) return null;
      if (i === 0 && offsets[0] !== FILE_HEADER_BYTES) return null;
      frames.push({ offset: offsets[i], end, kind, step: steps[i] });
    }
    return frames;
  }

  /** Walks frame headers from the start, checking every checksum; stops at a torn tail. */
  private scanFrames(): { frames: FrameRef[]; tornTailBytes: number } {
    const frames: FrameRef[] = [];
    let offset = FILE_HEADER_BYTES;
    while (offset < this.sizeBytes) {
      const remaining = this.sizeBytes - offset;
      if (remaining === TRAILER_BYTES && startsWith(this.readBytes(offset, TRAILER_BYTES), TRAILER_MAGIC)) {
        // a trailer whose index did not check out: the index frame itself was read as a frame
        break;
      }
      if (remaining < FRAME_HEADER_BYTES) return { frames, tornTailBytes: remaining };
      const h = this.readBytes(offset, FRAME_HEADER_BYTES);
      const len = new DataView(h.buffer).getUint32(0, true);
      if (len > remaining - FRAME_HEADER_BYTES) return { frames, tornTailBytes: remaining };
      const body = this.frameBody(offset, this.sizeBytes, frames.length);
      const rec = this.decodeBody(body.bytes, offset, frames.length);
      if (rec.kind !== 'index') frames.push({ offset, end: body.end, kind: rec.kind, step: 'step' in rec && typeof rec.step === 'number' ? rec.step : -1 });
      else this.scannedIndexEnd = body.end;
      offset = body.end;
    }
    return { frames, tornTailBytes: 0 };
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
    if (problem) throw new LogCorruptError(this.path, offset, record, `invalid record: ${problem}`);
    return body as LogRecord;
  }

  /** Reads, verifies and validates the record of a frame. */
  readRecord(f: FrameRef, record: number | null = null): LogRecord {
    const i = record ?? this.frames.indexOf(f);
    const body = this.frameBody(f.offset, f.end, i);
    if (body.end !== f.end) throw new LogCorruptError(this.path, f.offset, i, 'record length disagrees with the index');
    const rec = this.decodeBody(body.bytes, f.offset, i);
    if (rec.kind !== f.kind) throw new LogCorruptError(this.path, f.offset, i, `record is a ${rec.kind}, the index says ${f.kind}`);
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
    return new LogCorruptError(this.path, f?.offset ?? -1, f ? this.frames.indexOf(f) : null, `${kind} ${step}: ${what}`);
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

  /** Verifies every record's checksum and schema; throws LogCorruptError at the first bad one. */
  verifyAll(): void {
    this.frames.forEach((f, i) => this.readRecord(f, i));
  }

  /**
   * Everything a reader that takes the whole log on trust must check: every frame's checksum, the
   * structure (steps contiguous, the index consistent with the frames, the end record and the
   * trailer). Throws a LogCorruptError naming the first damage's offset; returns the frames checked.
   * inspect, verify, diff, sweep merge and the sweep's "finished" test call it.
   */
  checkIntegrity(): number {
    return this.checkChecksums();
  }

  /**
   * Checks every frame's length and checksum without decoding it (a 200 MB log in a fraction of
   * a second); a LogCorruptError names the first bad frame's offset and record. Returns how many.
   */
  checkChecksums(): number {
    this.frames.forEach((f, i) => {
      if (this.frameBody(f.offset, f.end, i).end !== f.end) throw new LogCorruptError(this.path, f.offset, i, 'record length disagrees with the index');
    });
    // a closed log whose index frame is intact but was not reachable: its trailer is damaged
    if (!this.indexed && this.scannedIndexEnd >= 0) throw new LogCorruptError(this.path, this.scannedIndexEnd, null, 'the trailer does not lead to the index frame before it');
    return this.frames.length;
  }
}

/** How many bits two byte strings of one length differ in. */
function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i] ^ b[i]; x; x &= x - 1) n++;
  return n;
}

export function openLog(path: string): LogReader {
  return LogReader.open(path);
}

/** A log held in memory (`name` stands for its path in messages). */
export function openLogBytes(bytes: Uint8Array, name = 'log.weft'): LogReader {
  return new LogReader(name, new MemorySource(bytes));
}
