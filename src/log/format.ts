/**
 * The `.weft` file layout (format version 1):
 *
 *   file header  "WEFTLOG\n" · u32 format version · u32 reserved (0)            16 bytes
 *   frame*       u32 body length · u32 CRC-32 of body · body (msgpack map)      8 + n bytes
 *   trailer      "WEFTIDX\n" · f64 byte offset of the index frame              16 bytes
 *
 * All integers little-endian. Each frame is one record (header, keyframe, step, anomaly, end,
 * index); a torn tail (length beyond the end of the file) is dropped, a checksum mismatch is
 * reported with its byte offset. The trailer and index are written when a run closes; a killed
 * run has neither and its log is read by scanning the frames.
 */
export const FILE_MAGIC = new TextEncoder().encode('WEFTLOG\n');
export const TRAILER_MAGIC = new TextEncoder().encode('WEFTIDX\n');
/** The newest log format this weft reads and writes. */
export const FORMAT_VERSION = 3;

/**
 * The format a run's log is written in: the oldest whose readers know every record it holds —
 * 1, 2 with attention probes, 3 with evaluation records — so that older readers refuse it by its
 * version, clearly, instead of calling a record they do not know damage. A log without them is
 * byte for byte what it was.
 */
export function formatVersionOf(config: { probe?: unknown; eval?: unknown }): number {
  return config.eval ? 3 : config.probe ? 2 : 1;
}
export const FILE_HEADER_BYTES = 16;
export const FRAME_HEADER_BYTES = 8;
export const TRAILER_BYTES = 16;
/** No record may be larger: a length field beyond it is corruption, not an allocation. */
export const RECORD_BYTES_MAX = 1 << 30;

export function fileHeader(version = 1): Uint8Array {
  const b = new Uint8Array(FILE_HEADER_BYTES);
  b.set(FILE_MAGIC, 0);
  new DataView(b.buffer).setUint32(8, version, true);
  return b;
}

export function trailer(indexOffset: number): Uint8Array {
  const b = new Uint8Array(TRAILER_BYTES);
  b.set(TRAILER_MAGIC, 0);
  new DataView(b.buffer).setFloat64(8, indexOffset, true);
  return b;
}

export function startsWith(b: Uint8Array, magic: Uint8Array): boolean {
  if (b.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[i] !== magic[i]) return false;
  return true;
}

/** Little-endian bytes of a typed array (a copy, so later writes to the source don't leak in). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** Little-endian bytes of a double; every NaN as the canonical quiet NaN (its bits vary by engine). */
export function f64Bytes(x: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  if (Number.isNaN(x)) dv.setUint32(4, 0x7ff80000, true);
  else dv.setFloat64(0, x, true);
  return b;
}

export function f64From(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(0, true);
}

/** Typed-array view over msgpack bin bytes (copied when unaligned). */
export function viewAs<T>(b: Uint8Array, C: { new (buf: ArrayBuffer, off: number, len: number): T; BYTES_PER_ELEMENT: number }): T {
  const w = C.BYTES_PER_ELEMENT;
  if (b.byteLength % w !== 0) throw new RangeError(`${b.byteLength} bytes is not a whole number of ${w}-byte values`);
  // an unaligned view is copied (Uint8Array's slice: a Node Buffer's slice() would be a view)
  const src = b.byteOffset % w === 0 ? b : Uint8Array.prototype.slice.call(b);
  return new C(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength / w);
}
