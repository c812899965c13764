import { readFileSync } from 'node:fs';
import { log } from '../kernels/math.ts';

/**
 * Order-0 static rANS over bytes (after J. Duda; the layout of F. Giesen's ryg_rans): a 32-bit
 * state, byte-wise renormalisation, symbol frequencies quantised to 2^14. Close to the
 * order-0 entropy of its input, fast, and integer-only, so its output is the same on every
 * runtime. Used per byte plane of shuffled float arrays (see codec.ts).
 *
 * Block layout: u8 mode (0 = stored, 1 = rANS, 2 = one repeated byte);
 *   stored: the bytes;  repeated: u8 value;
 *   rANS: 32-byte bitmap of the symbols present, their frequencies as LEB128 varints in symbol
 *   order, two u32 final states, encoded bytes. Symbols alternate between the two states (even
 *   positions state 0, odd state 1): two independent dependency chains decode about twice as
 *   fast on a pipelined CPU, with the same output size.
 * The caller knows the decoded length n.
 */

const SCALE_BITS = 14;
const SCALE = 1 << SCALE_BITS;
const RANS_L = 1 << 23; // lower bound of the normalised state interval [L, 256·L)

export class RansError extends Error {}

/** A symbol of frequency f is renormalised (a byte emitted) while the state is at least this. */
function renormLimit(f: number): number {
  return ((RANS_L >>> SCALE_BITS) << 8) * f;
}

/** Symbol frequencies scaled to sum to 2^14, every present symbol ≥ 1; deterministic ties. */
export function quantize(counts: Uint32Array, n: number): Uint16Array {
  const freq = new Uint16Array(256);
  let sum = 0;
  for (let s = 0; s < 256; s++) {
    if (counts[s] === 0) continue;
    const f = Math.max(1, Math.floor((counts[s] * SCALE) / n));
    freq[s] = f;
    sum += f;
  }
  // settle the rounding on the largest frequencies (lowest symbol first on ties). Short of the
  // total, every unit goes to the same symbol (once raised it stays the largest): in one step.
  if (sum < SCALE) {
    let best = -1;
    for (let s = 0; s < 256; s++) if (freq[s] !== 0 && (best < 0 || freq[s] > freq[best])) best = s;
    freq[best] += SCALE - sum;
    return freq;
  }
  while (sum !== SCALE) {
    let best = -1;
    for (let s = 0; s < 256; s++) {
      if (freq[s] === 0 || (sum > SCALE && freq[s] <= 1)) continue;
      if (best < 0 || freq[s] > freq[best]) best = s;
    }
    if (sum > SCALE) {
      freq[best]--;
      sum--;
    } else {
      freq[best]++;
      sum++;
    }
  }
  return freq;
}

/** The encoded bytes of a block and the two final states; null when they would not fit (store). */
interface Encoded {
  body: Uint8Array;
  x0: number;
  x1: number;
}

/**
 * The encoding loop in TypeScript: backwards, two states alternating by position parity,
 * byte-wise renormalisation into a buffer filled from its end. The oracle of rans.wat's loop.
 */
export function encodeLoopJs(src: Uint8Array, freq: Uint16Array, cum: Uint32Array): Encoded | null {
  const n = src.length;
  const cap = n + (n >> 3) + 16;
  const out = new Uint8Array(cap);
  let pos = cap;
  // the state stays in [2^23, 2^31), so int32 arithmetic is exact throughout
  const xMaxOf = new Int32Array(256);
  for (let s = 0; s < 256; s++) xMaxOf[s] = renormLimit(freq[s]);
  let x0 = RANS_L;
  let x1 = RANS_L;
  for (let i = n - 1; i >= 0; i--) {
    const s = src[i];
    const f = freq[s];
    const xMax = xMaxOf[s];
    let x = i & 1 ? x1 : x0;
    while (x >= xMax) {
      if (pos === 0) return null;
      out[--pos] = x & 0xff;
      x = x >>> 8;
    }
    const q = (x / f) | 0;
    x = ((q << SCALE_BITS) + (x - q * f) + cum[s]) | 0;
    if (i & 1) x1 = x;
    else x0 = x;
  }
  return { body: out.subarray(pos), x0, x1 };
}

export function ransEncode(src: Uint8Array): Uint8Array {
  const n = src.length;
  if (n === 0) return Uint8Array.of(0);
  const w = ransWasm();
  const counts = w ? w.count(src) : countBytes(src);
  let distinct = 0;
  for (let s = 0; s < 256; s++) if (counts[s]) distinct++;
  if (distinct === 1) return Uint8Array.of(2, src[0]);
  const freq = quantize(counts, n);
  let tableLen = 32;
  for (let s = 0; s < 256; s++) if (freq[s]) tableLen += freq[s] < 128 ? 1 : 2;
  const headerLen = 1 + tableLen + 8;
  // near-random bytes (the low mantissa bytes of a float array): a saving under 1% is not worth
  // the decoding time, and the size rANS would reach is known before encoding, within a few bytes
  if (headerLen + codedBits(counts, freq) / 8 >= 0.99 * (1 + n)) return stored(src);
  const cum = new Uint32Array(257);
  for (let s = 0; s < 256; s++) cum[s + 1] = cum[s] + freq[s];
  const enc = w ? w.encode(n, freq, cum) : encodeLoopJs(src, freq, cum);
  if (!enc) return stored(src);
  const { body, x0, x1 } = enc;
  if (headerLen + body.length >= 0.99 * (1 + n)) return stored(src);
  const res = new Uint8Array(headerLen + body.length);
  const dv = new DataView(res.buffer);
  res[0] = 1;
  let o = 33;
  for (let s = 0; s < 256; s++) {
    const f = freq[s];
    if (!f) continue;
    res[1 + (s >> 3)] |= 1 << (s & 7);
    if (f < 128) res[o++] = f;
    else {
      res[o++] = 0x80 | (f & 0x7f);
      res[o++] = f >> 7;
    }
  }
  dv.setUint32(o, x0, true);
  dv.setUint32(o + 4, x1, true);
  res.set(body, o + 8);
  return res;
}

/** −log2(f / 2^14) for f = 0…2^14, by math.ts's log: the same doubles on every runtime. */
let symbolBits: Float64Array | null = null;

/** The size of a block's rANS body in bits, Σ count·log2(2^14 / freq), summed in symbol order. */
function codedBits(counts: Uint32Array, freq: Uint16Array): number {
  if (!symbolBits) {
    symbolBits = new Float64Array(SCALE + 1);
    for (let f = 1; f <= SCALE; f++) symbolBits[f] = SCALE_BITS - log(f) / Math.LN2;
  }
  let bits = 0;
  for (let s = 0; s < 256; s++) if (counts[s]) bits += counts[s] * symbolBits[freq[s]];
  return bits;
}

function countBytes(src: Uint8Array): Uint32Array {
  const counts = new Uint32Array(256);
  for (let i = 0; i < src.length; i++) counts[src[i]]++;
  return counts;
}

/**
 * rans.wat: the byte count and the encoding loop in WebAssembly, the same bytes as the loops
 * above (a test compares them); one instance per process, its memory reused block to block.
 * null where WebAssembly is not available (the TypeScript loops then run).
 */
interface RansWasm {
  count(src: Uint8Array): Uint32Array;
  /** encodes the block last given to count() */
  encode(n: number, freq: Uint16Array, cum: Uint32Array): Encoded | null;
  /** n bytes decoded from a block's stream (after its header); RansError when it is corrupt */
  decode(stream: Uint8Array, n: number, freq: Uint16Array, x0: number, x1: number): Uint8Array;
}

let ransInstance: RansWasm | null | undefined;

const COUNTS = 0;
const SYMBOLS = 1024; // 256 × (freq, cum, xMax, reciprocal), u32 each
const STATES = SYMBOLS + 4096;
const SRC = STATES + 16;

function ransWasm(): RansWasm | null {
  if (ransInstance !== undefined) return ransInstance;
  try {
    const mod = new WebAssembly.Module(readFileSync(new URL('./rans.wasm', import.meta.url)));
    const exp = new WebAssembly.Instance(mod, {}).exports as unknown as {
      memory: WebAssembly.Memory;
      count(src: number, n: number, counts: number): void;
      encode(src: number, n: number, sym: number, cap: number, outEnd: number, states: number): number;
      slots(freq: number, syms: number, steps: number): void;
      decode(inp: number, len: number, out: number, n: number, x0: number, x1: number, syms: number, steps: number): number;
    };
    const mem = exp.memory;
    const ensure = (bytes: number) => {
      if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    };
    ransInstance = {
      count(src) {
        ensure(SRC + 2 * src.length + 64 + (src.length >> 3));
        new Uint8Array(mem.buffer, SRC, src.length).set(src);
        exp.count(SRC, src.length, COUNTS);
        return new Uint32Array(mem.buffer, COUNTS, 256).slice();
      },
      encode(n, freq, cum) {
        const cap = n + (n >> 3) + 16;
        // the output: 2 spare bytes (renormalisation stores before it knows it must), then cap
        const outStart = SRC + n + 2;
        ensure(outStart + cap);
        const sym = new Uint32Array(mem.buffer, SYMBOLS, 1024);
        for (let s = 0; s < 256; s++) {
          const f = freq[s];
          sym[4 * s] = f;
          sym[4 * s + 1] = cum[s];
          sym[4 * s + 2] = renormLimit(f);
          // floor(2^32 / f): an estimate of x / f low by at most one, corrected in the loop
          sym[4 * s + 3] = f > 1 ? Math.floor(4294967296 / f) : 0xffffffff;
        }
        const pos = exp.encode(SRC, n, SYMBOLS, cap, outStart + cap, STATES);
        if (pos < 0) return null;
        const states = new Uint32Array(mem.buffer, STATES, 2);
        return { body: new Uint8Array(mem.buffer, pos, outStart + cap - pos).slice(), x0: states[0], x1: states[1] };
      },
      decode(stream, n, freq, x0, x1) {
        // the slot tables, the stream, then the output (decoding reuses the encoder's areas)
        const syms = SRC + 512;
        const steps = syms + SCALE;
        const inp = steps + 4 * SCALE;
        const out = inp + stream.length;
        ensure(out + n);
        new Uint16Array(mem.buffer, SRC, 256).set(freq);
        exp.slots(SRC, syms, steps);
        new Uint8Array(mem.buffer, inp, stream.length).set(stream);
        const status = exp.decode(inp, stream.length, out, n, x0 | 0, x1 | 0, syms, steps);
        if (status !== 0) throw new RansError(DECODE_ERRORS[status]);
        return new Uint8Array(mem.buffer, out, n).slice();
      },
    };
  } catch {
    ransInstance = null;
  }
  return ransInstance;
}

function stored(src: Uint8Array): Uint8Array {
  const res = new Uint8Array(1 + src.length);
  res[0] = 0;
  res.set(src, 1);
  return res;
}

/**
 * Decodes exactly n bytes; throws RansError on any inconsistency (never reads out of bounds).
 * `loop` 'js' runs the TypeScript loop even where the WebAssembly one is available (tests).
 */
export function ransDecode(block: Uint8Array, n: number, loop: 'fast' | 'js' = 'fast'): Uint8Array {
  if (block.length < 1) throw new RansError('empty block');
  const mode = block[0];
  if (mode === 0) {
    if (block.length !== 1 + n) throw new RansError(`stored block holds ${block.length - 1} bytes, expected ${n}`);
    return block.slice(1);
  }
  if (mode === 2) {
    if (block.length !== 2) throw new RansError('bad repeated-byte block');
    return new Uint8Array(n).fill(block[1]);
  }
  if (mode !== 1) throw new RansError(`unknown block mode ${mode}`);
  if (block.length < 33) throw new RansError('truncated rANS header');
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const freq = new Uint16Array(256);
  const cum = new Uint32Array(256);
  let total = 0;
  let o = 33;
  for (let s = 0; s < 256; s++) {
    if (!(block[1 + (s >> 3)] & (1 << (s & 7)))) continue;
    if (o >= block.length) throw new RansError('truncated rANS frequency table');
    let f = block[o++];
    if (f & 0x80) {
      if (o >= block.length) throw new RansError('truncated rANS frequency table');
      f = (f & 0x7f) | (block[o++] << 7);
    }
    if (f === 0 || total + f > SCALE) throw new RansError('bad rANS frequencies');
    freq[s] = f;
    cum[s] = total;
    total += f;
  }
  if (total !== SCALE) throw new RansError('rANS frequencies do not sum to 2^14');
  if (o + 8 > block.length) throw new RansError('truncated rANS state');
  const x0 = dv.getUint32(o, true);
  const x1 = dv.getUint32(o + 4, true);
  if (x0 < RANS_L || x0 >= RANS_L * 256 || x1 < RANS_L || x1 >= RANS_L * 256) throw new RansError('bad rANS initial state');
  const stream = block.subarray(o + 8);
  const w = loop === 'fast' ? ransWasm() : null;
  return w ? w.decode(stream, n, freq, x0, x1) : decodeLoopJs(stream, n, freq, cum, x0, x1);
}

const DECODE_ERRORS = ['', 'rANS stream ended early', 'rANS stream has trailing data or a bad final state'];

/** The decoding loop in TypeScript: the oracle of rans.wat's (and where WebAssembly is missing). */
export function decodeLoopJs(block: Uint8Array, n: number, freq: Uint16Array, cum: Uint32Array, x0: number, x1: number): Uint8Array {
  const slotToSym = new Uint8Array(SCALE);
  for (let s = 0; s < 256; s++) slotToSym.fill(s, cum[s], cum[s] + freq[s]);
  let o = 0;
  const end = block.length;
  const out = new Uint8Array(n);
  const mask = SCALE - 1;
  const pairs = n & ~1;
  for (let i = 0; i < pairs; i += 2) {
    const slot0 = x0 & mask;
    const slot1 = x1 & mask;
    const s0 = slotToSym[slot0];
    const s1 = slotToSym[slot1];
    out[i] = s0;
    out[i + 1] = s1;
    x0 = (freq[s0] * (x0 >>> SCALE_BITS) + slot0 - cum[s0]) | 0;
    x1 = (freq[s1] * (x1 >>> SCALE_BITS) + slot1 - cum[s1]) | 0;
    // renormalise in the encoder's mirror order: state 0 (even position) first
    while (x0 < RANS_L) {
      if (o >= end) throw new RansError(DECODE_ERRORS[1]);
      x0 = (x0 << 8) | block[o++];
    }
    while (x1 < RANS_L) {
      if (o >= end) throw new RansError(DECODE_ERRORS[1]);
      x1 = (x1 << 8) | block[o++];
    }
  }
  if (n & 1) {
    const slot = x0 & mask;
    const s = slotToSym[slot];
    out[n - 1] = s;
    x0 = (freq[s] * (x0 >>> SCALE_BITS) + slot - cum[s]) | 0;
    while (x0 < RANS_L) {
      if (o >= end) throw new RansError(DECODE_ERRORS[1]);
      x0 = (x0 << 8) | block[o++];
    }
  }
  if (o !== end || x0 !== RANS_L || x1 !== RANS_L) throw new RansError(DECODE_ERRORS[2]);
  return out;
}
