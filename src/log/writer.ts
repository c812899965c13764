import { existsSync, mkdirSync, openSync, truncateSync } from 'node:fs';
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
    const body = pack(record);
    if (body.length > RECORD_BYTES_MAX) throw new RangeError(`record of ${body.length} bytes exceeds the ${RECORD_BYTES_MAX}-byte limit`);
    const head = new Uint8Array(FRAME_HEADER_BYTES);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, body.length, true);
    dv.setUint32(4, crc32(body), true);
    const at = this.offset;
    // header and body in one append, the body not copied into a frame (records are megabytes)
    this.append([head, body], sync);
    this.offset += FRAME_HEADER_BYTES + body.length;
    const step = 'step' in record && typeof record.step === 'number' ? record.step : -1;
    this.frames.push({ offset: at, kind: KIND_CODES[record.kind], step });
    if (record.kind === 'header') this.lastStep = record.startStep;
    else if (record.kind === 'step') this.lastStep = record.step;
    return at;
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
