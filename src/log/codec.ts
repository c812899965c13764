import type { FloatArray } from '../kernels/types.ts';
import { ransDecode, ransEncode, RansError } from './rans.ts';

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

export class CodecError extends Error {}

function wordsOf(a: FloatArray): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
}

/** Encodes `cur`, optionally relative to `prev` (same type and length), coding each segment apart. */
export function encodeFloats(cur: FloatArray, prev: FloatArray | null, ends: readonly number[] = [cur.length]): Uint8Array {
  const width = cur.BYTES_PER_ELEMENT;
  const n = cur.length;
  if (prev && (prev.length !== n || prev.BYTES_PER_ELEMENT !== width)) throw new CodecError('prev differs in type or length');
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
  if (ends.length === 0 || ends[ends.length - 1] !== n) throw new CodecError(`segment ends must finish at ${n}`);
  const blocks: Uint8Array[] = [];
  for (const plane of planes) {
    let start = 0;
    for (const e of ends) {
      blocks.push(ransEncode(plane.subarray(start, e)));
      start = e;
    }
  }
  const head = 10 + 4 * ends.length;
  const size = head + blocks.reduce((s, b) => s + 4 + b.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = transform;
  out[1] = width;
  dv.setUint32(2, n, true);
  dv.setUint32(6, ends.length, true);
  ends.forEach((e, i) => dv.setUint32(10 + 4 * i, e, true));
  let o = head;
  for (const b of blocks) {
    dv.setUint32(o, b.length, true);
    out.set(b, o + 4);
    o += 4 + b.length;
  }
  return out;
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

function planesOf(buf: Uint8Array, width: number, n: number): Uint8Array[] {
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
  const planes: Uint8Array[] = [];
  let o = 10 + 4 * k;
  for (let b = 0; b < width; b++) {
    const plane = new Uint8Array(n);
    let start = 0;
    for (const e of ends) {
      if (o + 4 > buf.length) throw new CodecError(`array block truncated in plane ${b}`);
      const len = dv.getUint32(o, true);
      if (o + 4 + len > buf.length) throw new CodecError(`plane ${b} overruns its array block`);
      try {
        plane.set(ransDecode(buf.subarray(o + 4, o + 4 + len), e - start), start);
      } catch (e) {
        if (e instanceof RansError) throw new CodecError(`plane ${b}: ${e.message}`);
        throw e;
      }
      o += 4 + len;
      start = e;
    }
    planes.push(plane);
  }
  if (o !== buf.length) throw new CodecError('array block has trailing bytes');
  return planes;
}

/**
 * Decodes into `out` (its type and length must match the block). `direction` +1 rebuilds the
 * array from the previous step's (`ref` = prev); −1 rebuilds the previous step's array from
 * this step's (`ref` = cur), which the zigzag difference and XOR both allow.
 */
export function decodeFloats(buf: Uint8Array, out: FloatArray, ref: FloatArray | null, direction: 1 | -1 = 1): void {
  const { transform, width, count } = encodedInfo(buf);
  if (width !== out.BYTES_PER_ELEMENT || count !== out.length) throw new CodecError(`array block holds ${count} × ${width}-byte values, expected ${out.length} × ${out.BYTES_PER_ELEMENT}`);
  if (transform > Transform.Xor) throw new CodecError(`unknown transform ${transform}`);
  if (transform !== Transform.None && (!ref || ref.length !== count || ref.BYTES_PER_ELEMENT !== width)) throw new CodecError('a delta-coded array needs the neighbouring step’s array');
  if (transform === Transform.None && direction === -1) throw new CodecError('a plain array cannot be stepped backwards');
  const planes = planesOf(buf, width, count);
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
