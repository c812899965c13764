import { closeSync, fstatSync, fsyncSync, readSync, writeSync, writevSync } from 'node:fs';
import type { ByteSink, ByteSource } from './bytes.ts';

/** A log file read through its descriptor. */
export class FileSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  constructor(fd: number) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }
  read(offset: number, n: number): Uint8Array {
    const b = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const r = readSync(this.fd, b, done, n - done, offset + done);
      if (r === 0) break;
      done += r;
    }
    return done === n ? b : b.subarray(0, done);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A log file written through its descriptor, appending only: every write goes to the end of the
 * file, never to a position — runtimes order positional writes and appends differently (Bun put
 * a trailer over the first frame), and a file written strictly in sequence has one layout
 * everywhere. A frame's chunks go to the OS in one gathered write.
 */
export class FileSink implements ByteSink {
  private readonly fd: number;
  private onClose: () => void;
  constructor(fd: number, onClose: () => void = () => {}) {
    this.fd = fd;
    this.onClose = onClose;
  }
  append(chunks: readonly Uint8Array[]): void {
    const total = chunks.reduce((s, c) => s + c.length, 0);
    let done = writevSync(this.fd, chunks as Uint8Array[]);
    // a partial write: the rest, chunk by chunk
    let skip = done;
    for (const c of chunks) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      for (let from = skip; from < c.length;) from += writeSync(this.fd, c, from, c.length - from);
      done += c.length - skip;
      skip = 0;
    }
    if (done !== total) throw new Error(`wrote ${done} of ${total} bytes`);
  }
  sync(): void {
    fsyncSync(this.fd);
  }
  close(): void {
    try {
      closeSync(this.fd);
    } finally {
      this.onClose(); // the lock is released even when the close reports an earlier write's failure
    }
  }

  /** Its descriptor and its close's last act, for another owner (LogWriter.handOver): this sink is done. */
  release(): { fd: number; onClose: () => void } {
    const out = { fd: this.fd, onClose: this.onClose };
    this.onClose = () => {};
    return out;
  }
}
