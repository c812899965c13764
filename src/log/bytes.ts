/**
 * Where a log's bytes come from and go to. The file ones (files.ts) read and append with node:fs;
 * the memory ones serve a log held in memory — a page in a browser, a test — with the same
 * reader and writer, so the bytes are the same wherever they are kept.
 */
export interface ByteSource {
  readonly size: number;
  /** up to n bytes from offset (fewer at the end) */
  read(offset: number, n: number): Uint8Array;
  close(): void;
}

export interface ByteSink {
  /** appends the chunks, in order, at the end (one call per frame: a torn write is a torn tail) */
  append(chunks: readonly Uint8Array[]): void;
  /** makes what was appended durable (fsync for a file) */
  sync(): void;
  close(): void;
}

export class MemorySource implements ByteSource {
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    // a plain view, so that read() copies: a Node Buffer's slice() is a view into a shared pool,
    // and readers look at what they read through its own ArrayBuffer from offset 0
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, n: number): Uint8Array {
    return this.bytes.slice(offset, Math.min(this.bytes.length, offset + n));
  }
  close(): void {}
}

export class MemorySink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  append(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) {
      this.chunks.push(c.slice());
      this.length += c.length;
    }
  }
  sync(): void {}
  close(): void {}
  /** everything appended so far */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
