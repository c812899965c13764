import type { FloatArray } from '../kernels/types.ts';
import { CodecError, RansError } from '../errors.ts';
import { encodeSlack, ransDecode, ransEncode, ransModule, type RansModule } from './rans.ts';
import { DecodeThreads, decodeThreads, type CodedBlock } from './decode-threads.ts';
import { threadsPreferred } from '../kernels/registry.ts';

/**
 * Lossless codec for float arrays, bit-exact on every value (NaN payloads, ±0, subnormals, Inf).
 *
 * 1. Transform against the previous step's array, when there is one:
 *    float32 — the zigzag integer difference of the bit patterns (small when values move
 *    little, and exactly invertible in both directions, so replay can also step backwards);
 *    float64 — XOR of the bit patterns.
 * 2. Split into byte planes (byte k of every element together): sign and exponent bytes are
 *    nearly constant, mantissa bytes nearly random, and each plane is coded apart.
 * 3. Order-0 rANS per plane and per segment (rans.ts). Segments follow tensor boundaries
 *    (merged up to SEGMENT_MIN elements): each tensor has its own scale, so its exponents and
 *    high bytes are far more predictable within it than across the whole buffer.
 * Measured on fabric-bench Adam trajectories: see scripts/bench-log.ts.
 *
 * Layout: u8 transform (0 none, 1 zigzag-diff32, 2 xor), u8 width (4 | 8), u32 count,
 * u32 segment count k, k × u32 segment end, then per plane and segment: u32 block length, block.
 */

/** Segments smaller than this are merged with their neighbours (frequency tables cost bytes). */
export const SEGMENT_MIN = 16384;

/** Segment ends from tensor boundaries (ascending ends of each tensor), merged to ≥ SEGMENT_MIN. */
export function segmentEnds(tensorEnds: readonly number[], n: number): number[] {
  const out: number[] = [];
  let start = 0;
  for (const e of tensorEnds) {
    if (e - start >= SEGMENT_MIN && n - e >= SEGMENT_MIN) {
      out.push(e);
      start = e;
    }
  }
  out.push(n);
  return out;
}

export const enum Transform {
  None = 0,
  ZigzagDiff32 = 1,
  Xor = 2,
}


/** 'fast': float32 arrays split, coded and joined in rans.wat's memory; 'js': the TypeScript loops (their oracle in tests). */
export type Loops = 'fast' | 'js';

function wordsOf(a: FloatArray): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
}

/** Encodes `cur`, optionally relative to `prev` (same type and length), coding each segment apart. */
export function encodeFloats(cur: FloatArray, prev: FloatArray | null, ends: readonly number[] = [cur.length], loops: Loops = 'fast'): Uint8Array {
  const width = cur.BYTES_PER_ELEMENT;
  const n = cur.length;
  if (prev && (prev.length !== n || prev.BYTES_PER_ELEMENT !== width)) throw new CodecError('prev differs in type or length');
  if (ends.length === 0 || ends[ends.length - 1] !== n) throw new CodecError(`segment ends must finish at ${n}`);
  const module = loops === 'fast' ? ransModule() : null;
  if (module && width === 4) return encodeFloat32(module, cur, prev, ends);
  const transform = prev ? (width === 4 ? Transform.ZigzagDiff32 : Transform.Xor) : Transform.None;
  const planes: Uint8Array[] = [];
  for (let b = 0; b < width; b++) planes.push(new Uint8Array(n));
  const w = wordsOf(cur);
  if (width === 4) {
    const p0 = planes[0], p1 = planes[1], p2 = planes[2], p3 = planes[3];
    const pw = prev ? wordsOf(prev) : null;
    for (let i = 0; i < n; i++) {
      let z: number;
      if (pw) {
        const d = (w[i] - pw[i]) | 0;
        z = (d << 1) ^ (d >> 31);
      } else z = w[i];
      p0[i] = z & 0xff;
      p1[i] = (z >>> 8) & 0xff;
      p2[i] = (z >>> 16) & 0xff;
      p3[i] = z >>> 24;
    }
  } else {
    const pw = prev ? wordsOf(prev) : null;
    for (let i = 0; i < n; i++) {
      for (let h = 0; h < 2; h++) {
        const z = pw ? (w[2 * i + h] ^ pw[2 * i + h]) >>> 0 : w[2 * i + h];
        for (let b = 0; b < 4; b++) planes[4 * h + b][i] = (z >>> (8 * b)) & 0xff;
      }
    }
  }
  const blocks: Uint8Array[] = [];
  for (const plane of planes) {
    let start = 0;
    for (const e of ends) {
      blocks.push(ransEncode(plane.subarray(start, e), loops));
      start = e;
    }
  }
  const head = 10 + 4 * ends.length;
  const size = head + blocks.reduce((s, b) => s + 4 + b.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = writeHead(out, 0, transform, width, n, ends);
  for (const b of blocks) {
    dv.setUint32(o, b.length, true);
    out.set(b, o + 4);
    o += 4 + b.length;
  }
  return out;
}

/** The block header's bytes: transform, width, count, segment ends. */
function writeHead(out: Uint8Array, at: number, transform: Transform, width: number, n: number, ends: readonly number[]): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[at] = transform;
  out[at + 1] = width;
  dv.setUint32(at + 2, n, true);
  dv.setUint32(at + 6, ends.length, true);
  ends.forEach((e, i) => dv.setUint32(at + 10 + 4 * i, e, true));
  return 10 + 4 * ends.length;
}

const bytesOf = (a: FloatArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * encodeFloats for float32 in rans.wat's memory: the planes split there (split4), each block
 * encoded in place behind the previous one, one copy out. The same bytes as the loops above.
 */
function encodeFloat32(w: RansModule, cur: FloatArray, prev: FloatArray | null, ends: readonly number[]): Uint8Array {
  const n = cur.length;
  let longest = 0;
  ends.forEach((e, i) => (longest = Math.max(longest, e - (i ? ends[i - 1] : 0))));
  const head = 10 + 4 * ends.length;
  // cur, prev, the planes, then the output: its head, and per block a length and at most 1 + len bytes
  const at = w.work(3 * 4 * n + head + 4 * 5 * ends.length + 4 * n + encodeSlack(longest));
  const planes = at + 8 * n;
  const outAt = planes + 4 * n;
  const u8 = w.bytes();
  u8.set(bytesOf(cur), at);
  if (prev) u8.set(bytesOf(prev), at + 4 * n);
  w.exports.split4(at, at + 4 * n, n, planes, prev ? 1 : 0);
  let o = outAt + writeHead(u8, outAt, prev ? Transform.ZigzagDiff32 : Transform.None, 4, n, ends);
  const dv = new DataView(u8.buffer);
  for (let b = 0; b < 4; b++) {
    let start = 0;
    for (const e of ends) {
      const len = w.encodeBlock(planes + b * n + start, e - start, o + 4);
      dv.setUint32(o, len, true);
      o += 4 + len;
      start = e;
    }
  }
  return u8.slice(outAt, o);
}

export interface EncodedInfo {
  transform: Transform;
  width: number;
  count: number;
}

export function encodedInfo(buf: Uint8Array): EncodedInfo {
  if (buf.length < 10) throw new CodecError('array block shorter than its header');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return { transform: buf[0] as Transform, width: buf[1], count: dv.getUint32(2, true) };
}

/**
 * An array block's coded blocks, plane by plane and segment by segment, its structure checked:
 * block k codes values start…start+count−1 of its plane, in buf[at…at+len).
 */
function blocksOf(buf: Uint8Array, width: number, n: number): CodedBlock[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 10) throw new CodecError('array block shorter than its header');
  const k = dv.getUint32(6, true);
  if (k < 1 || k > n + 1 || 10 + 4 * k > buf.length) throw new CodecError(`bad segment count ${k}`);
  const ends: number[] = [];
  for (let i = 0; i < k; i++) {
    const e = dv.getUint32(10 + 4 * i, true);
    if (e < (i ? ends[i - 1] : 0) || (i === k - 1 && e !== n)) throw new CodecError('bad segment ends');
    ends.push(e);
  }
  const blocks: CodedBlock[] = [];
  let o = 10 + 4 * k;
  for (let plane = 0; plane < width; plane++) {
    let start = 0;
    for (const e of ends) {
      if (o + 4 > buf.length) throw new CodecError(`array block truncated in plane ${plane}`);
      const len = dv.getUint32(o, true);
      if (o + 4 + len > buf.length) throw new CodecError(`plane ${plane} overruns its array block`);
      blocks.push({ plane, start, count: e - start, at: o + 4, len });
      o += 4 + len;
      start = e;
    }
  }
  if (o !== buf.length) throw new CodecError('array block has trailing bytes');
  return blocks;
}

/** Decodes each block with `decode`, in order; a RansError becomes a CodecError naming the plane. */
function decodeEach(blocks: readonly CodedBlock[], decode: (b: CodedBlock) => void): void {
  for (const b of blocks) {
    try {
      decode(b);
    } catch (e) {
      if (e instanceof RansError) throw new CodecError(`plane ${b.plane}: ${e.message}`);
      throw e;
    }
  }
}

function planesOf(buf: Uint8Array, width: number, n: number, loops: Loops): Uint8Array[] {
  const planes = Array.from({ length: width }, () => new Uint8Array(n));
  decodeEach(blocksOf(buf, width, n), (b) => planes[b.plane].set(ransDecode(buf.subarray(b.at, b.at + b.len), b.count, loops), b.start));
  return planes;
}

/**
 * decodeFloats for float32 in rans.wat's memory, begun: blocks decoded into the planes there,
 * joined by join4 — split across the decode threads by segment when there are threads and
 * segments to split (the same bytes), else on this thread. The function returned finishes it
 * (waits for the threads, copies the result out) and must be called before the next use of the
 * module; a block that does not decode is then decoded here, which names it (CodecError).
 */
function beginFloat32(w: RansModule, buf: Uint8Array, out: FloatArray, ref: FloatArray | null, transform: Transform, direction: 1 | -1): () => void {
  const n = out.length;
  const blocks = blocksOf(buf, 4, n);
  const split = blocks.length > 4 && threadsPreferred() > 1;
  // the block, the planes, the reference, the result, the threads' tables
  const at = w.work(buf.length + 32 + 12 * n + (split ? DecodeThreads.scratchBytes(blocks, n) : 0));
  const threads = split ? decodeThreads(w) : null; // after the memory grew, if it did
  const planes = (at + buf.length + 15) & ~15;
  const refAt = planes + 4 * n;
  const outAt = refAt + 4 * n;
  w.bytes().set(buf, at);
  if (ref) w.bytes().set(bytesOf(ref), refAt);
  const end = threads?.begin(w, at, blocks, n, planes, refAt, outAt, transform, direction, outAt + 4 * n);
  w.held = true;
  return () => {
    w.held = false;
    if (!end || !end()) {
      decodeEach(blocks, (b) => w.decodeBlock(at + b.at, b.len, b.count, planes + b.plane * n + b.start));
      w.exports.join4(planes, refAt, n, outAt, transform, direction);
    }
    bytesOf(out).set(w.bytes().subarray(outAt, outAt + 4 * n));
  };
}

/** decodeFloats' checks of a block against the array it is decoded into; its transform. */
function checkDecode(buf: Uint8Array, out: FloatArray, ref: FloatArray | null, direction: 1 | -1): EncodedInfo {
  const info = encodedInfo(buf);
  const { transform, width, count } = info;
  if (width !== out.BYTES_PER_ELEMENT || count !== out.length) throw new CodecError(`array block holds ${count} × ${width}-byte values, expected ${out.length} × ${out.BYTES_PER_ELEMENT}`);
  if (transform > Transform.Xor) throw new CodecError(`unknown transform ${transform}`);
  if (transform !== Transform.None && (!ref || ref.length !== count || ref.BYTES_PER_ELEMENT !== width)) throw new CodecError('a delta-coded array needs the neighbouring step’s array');
  if (transform === Transform.None && direction === -1) throw new CodecError('a plain array cannot be stepped backwards');
  return info;
}

/**
 * Decodes into `out` (its type and length must match the block). `direction` +1 rebuilds the
 * array from the previous step's (`ref` = prev); −1 rebuilds the previous step's array from
 * this step's (`ref` = cur), which the zigzag difference and XOR both allow.
 */
export function decodeFloats(buf: Uint8Array, out: FloatArray, ref: FloatArray | null, direction: 1 | -1 = 1, loops: Loops = 'fast'): void {
  const { transform, width, count } = checkDecode(buf, out, ref, direction);
  const module = loops === 'fast' ? ransModule() : null;
  if (module && width === 4) {
    beginFloat32(module, buf, out, ref, transform, direction)();
    return;
  }
  const planes = planesOf(buf, width, count, loops);
  const w = wordsOf(out);
  const rw = ref ? wordsOf(ref) : null;
  if (width === 4) {
    const p0 = planes[0], p1 = planes[1], p2 = planes[2], p3 = planes[3];
    // one loop per case: no per-element branching on the transform
    if (transform === Transform.None) {
      for (let i = 0; i < count; i++) w[i] = p0[i] | (p1[i] << 8) | (p2[i] << 16) | (p3[i] << 24);
    } else if (transform === Transform.ZigzagDiff32) {
      const r = rw!;
      const sign = direction; // +1 rebuilds cur from prev, −1 prev from cur
      for (let i = 0; i < count; i++) {
        const z = p0[i] | (p1[i] << 8) | (p2[i] << 16) | (p3[i] << 24);
        w[i] = (r[i] + sign * ((z >>> 1) ^ -(z & 1))) | 0;
      }
    } else {
      const r = rw!;
      for (let i = 0; i < count; i++) w[i] = r[i] ^ (p0[i] | (p1[i] << 8) | (p2[i] << 16) | (p3[i] << 24));
    }
  } else {
    if (transform === Transform.ZigzagDiff32) throw new CodecError('zigzag-diff32 on 8-byte values');
    for (let i = 0; i < count; i++) {
      for (let h = 0; h < 2; h++) {
        const z = (planes[4 * h][i] | (planes[4 * h + 1][i] << 8) | (planes[4 * h + 2][i] << 16) | (planes[4 * h + 3][i] << 24)) >>> 0;
        w[2 * i + h] = transform === Transform.Xor ? rw![2 * i + h] ^ z : z;
      }
    }
  }
}

/**
 * decodeFloats begun now and finished by the function it returns: the decode threads work on
 * the array meanwhile, and this thread may do other work, but code no other array (that throws)
 * and not touch `out` (written by the time the function returns) or `ref`. Errors of the block's
 * structure come at once, a stream that does not decode from the function, as CodecError both.
 */
export function decodeFloatsLater(buf: Uint8Array, out: FloatArray, ref: FloatArray | null, direction: 1 | -1 = 1): () => void {
  const module = ransModule();
  if (!module || out.BYTES_PER_ELEMENT !== 4) {
    decodeFloats(buf, out, ref, direction); // its checks, its path
    return () => {};
  }
  const { transform } = checkDecode(buf, out, ref, direction);
  return beginFloat32(module, buf, out, ref, transform, direction);
}

/** Plain (untransformed) coding for byte data such as bit-packed dropout masks. */
export function encodeBytes(data: Uint8Array): Uint8Array {
  return ransEncode(data);
}

export function decodeBytes(buf: Uint8Array, n: number): Uint8Array {
  try {
    return ransDecode(buf, n);
  } catch (e) {
    if (e instanceof RansError) throw new CodecError(e.message);
    throw e;
  }
}
