import { closeSync, existsSync, fstatSync, mkdirSync, openSync, truncateSync } from 'node:fs';
import type { ByteSink } from './bytes.ts';
import { FileSink } from './files.ts';
import { LogWriteError, UsageError } from '../errors.ts';
import { LogLock } from './lock.ts';
import { dirname } from 'node:path';
import { crc32 } from './crc32.ts';
import { fileHeader, FRAME_HEADER_BYTES, RECORD_BYTES_MAX, trailer, bytesOf } from './format.ts';
import { pack } from './msgpack.ts';
import { KIND_CODES, type IndexRecord, type LogRecord } from './records.ts';

interface FrameEntry {
  offset: number;
  kind: number;
  step: number;
}

/**
 * A log file passed from one thread's writer to another's (LogWriter.handOver, LogWriter.reopen):
 * where it stands, structured-cloneable, and the file's identity — the other thread opens it by
 * its path (Deno's descriptors are a thread's own) and writes only to the same file at that size.
 */
export interface HandedOver {
  path: string;
  offset: number;
  frames: FrameEntry[];
  lastStep: number | null;
  dev: number;
  ino: number;
}

/**
 * What the index and the writer keep of a record: its step (−1 for none) and the step the log is
 * complete up to once it is written (a header's start step, a step record's step; null for others).
 */
export function indexFieldsOf(record: LogRecord): { step: number; completes: number | null } {
  const step = 'step' in record && typeof record.step === 'number' ? record.step : -1;
  return { step, completes: record.kind === 'header' ? record.startStep : record.kind === 'step' ? record.step : null };
}

/** "ENOSPC: no space left on device": the system's name and words for a failed write (Node's message without its call). */
function systemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = err instanceof Error ? err.message : String(e);
  const call = err.syscall ? msg.lastIndexOf(`, ${err.syscall}`) : -1;
  return call > 0 ? msg.slice(0, call) : msg;
}

/**
 * Appends framed records to a log, through a byte sink: a file (create, appendAt — with its lock)
 * or memory (toSink). Each frame goes to the sink in one append (header and body gathered), so a
 * process killed at any instant leaves every earlier frame intact and at most one torn frame at
 * the tail. Sync happens at keyframes and on close (durability against power loss, not only kills).
 */
export class LogWriter {
  readonly path: string;
  private readonly sink: ByteSink;
  private offset: number;
  private readonly frames: FrameEntry[] = [];
  private closed = false;
  /** the last step whose record is complete in the log (the start step before any), null before the header */
  private lastStep: number | null;
  /** set by a write that failed: the log ends in a torn frame, and nothing more may follow it */
  private failure: LogWriteError | null = null;

  private constructor(path: string, sink: ByteSink, offset: number, frames: FrameEntry[], lastStep: number | null) {
    this.path = path;
    this.sink = sink;
    this.offset = offset;
    this.frames = frames;
    this.lastStep = lastStep;
  }

  /**
   * Creates a log file and writes its file header, holding the log's lock until close (`lock`:
   * one already taken, which the writer then owns). An existing file is an error unless
   * `overwrite` (a log is never replaced by accident).
   */
  static create(path: string, opts: { overwrite?: boolean; format?: number; lock?: LogLock } = {}): LogWriter {
    let lock = opts.lock ?? null;
    try {
      mkdirSync(dirname(path), { recursive: true });
      lock ??= LogLock.acquire(path);
      if (!opts.overwrite && existsSync(path)) throw new UsageError(`${path} exists; pass --force to overwrite it`);
      const held = lock;
      const sink = new FileSink(openSync(path, opts.overwrite ? 'w' : 'wx'), () => held.release());
      try {
        return LogWriter.toSink(sink, path, opts.format);
      } catch (e) {
        sink.close(); // releases the lock too
        throw e;
      }
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  /** A new log into any sink (memory: a page, a test); `name` stands for its path in messages; `format`: its header's (formatVersionOf). */
  static toSink(sink: ByteSink, name = 'log.weft', format = 1): LogWriter {
    const h = fileHeader(format);
    const w = new LogWriter(name, sink, h.length, [], null);
    w.append([h]);
    return w;
  }

  /**
   * Continues a log file after its last intact frame (resume), under its lock — which the caller
   * took before it read the log (what it read is then what it continues), and the writer now
   * owns. `frames`: those kept, up to `offset`; `lastStep`: the last step among them.
   */
  static appendAt(path: string, at: { offset: number; frames: FrameEntry[]; lastStep: number; lock: LogLock }): LogWriter {
    try {
      // what follows the last kept frame (a torn frame, an old index and trailer) goes first
      truncateSync(path, at.offset);
      const fd = openSync(path, 'a');
      return new LogWriter(path, new FileSink(fd, () => at.lock.release()), at.offset, at.frames.slice(), at.lastStep);
    } catch (e) {
      at.lock.release();
      throw e;
    }
  }

  /**
   * Appends to the sink; a failure (a full disk, a quota, an I/O error) becomes a LogWriteError
   * naming the log, the system's error and the last complete step, and every later write fails
   * with it: a frame after a torn one would put damage inside the log instead of at its tail.
   */
  private append(chunks: readonly Uint8Array[], sync = false): void {
    if (this.failure) throw this.failure;
    try {
      this.sink.append(chunks);
      if (sync) this.sink.sync();
    } catch (e) {
      this.failure = new LogWriteError(this.path, systemError(e), this.lastStep);
      throw this.failure;
    }
  }

  write(record: LogRecord, sync = false): number {
    if (this.closed) throw new Error('log writer is closed');
    const { step, completes } = indexFieldsOf(record);
    return this.writePacked(pack(record), record.kind, step, completes, sync);
  }

  /**
   * Appends a record packed elsewhere (pack(): a recording thread's records, packed where they
   * were made): `step` is the index's (−1 for none), `completes` the step the log is complete up
   * to once it is written (a header's start step, a step record's step), null for any other kind.
   */
  writePacked(body: Uint8Array, kind: LogRecord['kind'], step: number, completes: number | null, sync = false): number {
    if (this.closed) throw new Error('log writer is closed');
    if (body.length > RECORD_BYTES_MAX) throw new RangeError(`record of ${body.length} bytes exceeds the ${RECORD_BYTES_MAX}-byte limit`);
    const head = new Uint8Array(FRAME_HEADER_BYTES);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, body.length, true);
    dv.setUint32(4, crc32(body), true);
    const at = this.offset;
    // header and body in one append, the body not copied into a frame (records are megabytes)
    this.append([head, body], sync);
    this.offset += FRAME_HEADER_BYTES + body.length;
    this.frames.push({ offset: at, kind: KIND_CODES[kind], step });
    if (completes !== null) this.lastStep = completes;
    return at;
  }

  /**
   * Gives this writer's file to another thread (a recording thread, engine/record-thread.ts),
   * which continues it with LogWriter.reopen: this writer closes its descriptor and writes
   * nothing more; what closing the log must do last (release its lock) is returned with it, for
   * when the other thread is done. Null for a writer into memory or one whose write failed.
   */
  handOver(): { at: HandedOver; onClose: () => void } | null {
    if (!this.onFile) return null;
    const { fd, onClose } = (this.sink as FileSink).release();
    this.closed = true;
    try {
      const st = fstatSync(fd);
      return { at: { path: this.path, offset: this.offset, frames: this.frames.slice(), lastStep: this.lastStep, dev: st.dev, ino: st.ino }, onClose };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Continues, on this thread, a log another thread handed over (handOver), appending to the
   * file at its path — refused, as a LogWriteError, unless it is the same file at the same size.
   */
  static reopen(at: HandedOver): LogWriter {
    let fd: number;
    try {
      fd = openSync(at.path, 'a');
    } catch (e) {
      throw new LogWriteError(at.path, systemError(e), at.lastStep);
    }
    const st = fstatSync(fd);
    if (st.dev !== at.dev || st.ino !== at.ino || st.size !== at.offset) {
      closeSync(fd);
      throw new LogWriteError(at.path, st.dev !== at.dev || st.ino !== at.ino ? 'the file was replaced while it was being written' : `the file is ${st.size} bytes, not the ${at.offset} written`, at.lastStep);
    }
    return new LogWriter(at.path, new FileSink(fd), at.offset, at.frames, at.lastStep);
  }

  /** Whether this writer appends to a file (a log a recording thread can continue: handOver). */
  get onFile(): boolean {
    return this.sink instanceof FileSink && !this.closed && !this.failure;
  }

  get bytesWritten(): number {
    return this.offset;
  }

  /** Writes the index and trailer, syncs and closes. */
  close(): void {
    if (this.closed) return;
    const index: IndexRecord = {
      kind: 'index',
      offsets: bytesOf(Float64Array.from(this.frames, (f) => f.offset)),
      kinds: Uint8Array.from(this.frames, (f) => f.kind),
      steps: bytesOf(Float64Array.from(this.frames, (f) => f.step)),
    };
    const at = this.write(index);
    const t = trailer(at);
    this.append([t], true);
    this.offset += t.length;
    this.sink.close();
    this.closed = true;
  }

  /** Closes without an index: what was written stays readable (tests use this to imitate a killed run). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sink.close();
    } catch {
      // a file system that already failed a write may fail its close: the frames written are what they are
    }
  }
}
