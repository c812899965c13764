import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, truncateSync, writeSync, writevSync } from 'node:fs';
import { UsageError } from '../errors.ts';
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
 * Appends framed records to a log. Each frame goes to the OS in one call (header and body
 * gathered), so a process killed at any instant leaves every earlier frame intact and at most
 * one torn frame at the tail. Every write appends at the end of the file, never at a position:
 * runtimes order positional writes and appends differently (Bun put the trailer over the first
 * frame), and a log written strictly in sequence has one layout everywhere.
 * fsync happens at keyframes and on close (durability against power loss, not only kills).
 */
export class LogWriter {
  readonly path: string;
  private fd: number;
  private offset: number;
  private readonly frames: FrameEntry[] = [];
  private closed = false;
  private readonly lock: LogLock;

  private constructor(path: string, lock: LogLock, fd: number, offset: number, frames: FrameEntry[]) {
    this.path = path;
    this.lock = lock;
    this.fd = fd;
    this.offset = offset;
    this.frames = frames;
  }

  /**
   * Creates a log file and writes its file header, holding the log's lock until close. An
   * existing file is an error unless `overwrite` (a log is never replaced by accident).
   */
  static create(path: string, opts: { overwrite?: boolean } = {}): LogWriter {
    mkdirSync(dirname(path), { recursive: true });
    const lock = LogLock.acquire(path);
    try {
      if (!opts.overwrite && existsSync(path)) throw new UsageError(`${path} exists; pass --force to overwrite it`);
      const fd = openSync(path, opts.overwrite ? 'w' : 'wx');
      const h = fileHeader();
      writeSync(fd, h);
      return new LogWriter(path, lock, fd, h.length, []);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** Continues a log after its last intact frame (resume); `frames` are those kept. */
  static appendAt(path: string, offset: number, frames: FrameEntry[]): LogWriter {
    const lock = LogLock.acquire(path);
    try {
      // what follows the last kept frame (a torn frame, an old index and trailer) goes first
      truncateSync(path, offset);
      const fd = openSync(path, 'a');
      return new LogWriter(path, lock, fd, offset, frames.slice());
    } catch (e) {
      lock.release();
      throw e;
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
    // header and body in one call without copying the body into a frame (records are megabytes)
    const total = FRAME_HEADER_BYTES + body.length;
    let done = writevSync(this.fd, [head, body]);
    while (done < total) {
      const [buf, from] = done < FRAME_HEADER_BYTES ? [head, done] : [body, done - FRAME_HEADER_BYTES];
      done += writeSync(this.fd, buf, from, buf.length - from);
    }
    this.offset += total;
    const step = 'step' in record && typeof record.step === 'number' ? record.step : -1;
    this.frames.push({ offset: at, kind: KIND_CODES[record.kind], step });
    if (sync) fsyncSync(this.fd);
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
    for (let done = 0; done < t.length;) done += writeSync(this.fd, t, done, t.length - done);
    this.offset += t.length;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
    this.lock.release();
  }

  /** Closes without an index (tests use this to imitate a killed run). */
  abandon(): void {
    if (this.closed) return;
    closeSync(this.fd);
    this.closed = true;
    this.lock.release();
  }
}
