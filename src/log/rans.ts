import { readFileSync } from 'node:fs';
import { RansError } from '../errors.ts';
import { log } from '../math/elementary.ts';

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

/** What a block becomes: one repeated byte, stored, or rANS with this table and header length. */
type Plan = { mode: 0 } | { mode: 2 } | { mode: 1; freq: Uint16Array; cum: Uint32Array; headerLen: number };

/** The choice for a block of n ≥ 1 bytes with these byte counts (the same in both loops). */
function plan(counts: Uint32Array, n: number): Plan {
  let distinct = 0;
  for (let s = 0; s < 256; s++) if (counts[s]) distinct++;
  if (distinct === 1) return { mode: 2 };
  const freq = quantize(counts, n);
  let tableLen = 32;
  for (let s = 0; s < 256; s++) if (freq[s]) tableLen += freq[s] < 128 ? 1 : 2;
  const headerLen = 1 + tableLen + 8;
  // near-random bytes (the low mantissa bytes of a float array): a saving under 1% is not worth
  // the decoding time, and the size rANS would reach is known before encoding, within a few bytes
  if (headerLen + codedBits(counts, freq) / 8 >= 0.99 * (1 + n)) return { mode: 0 };
  const cum = new Uint32Array(257);
  for (let s = 0; s < 256; s++) cum[s + 1] = cum[s] + freq[s];
  return { mode: 1, freq, cum, headerLen };
}

/** Whether a coded body of this length is kept (else the block is stored). */
function worthIt(headerLen: number, bodyLen: number, n: number): boolean {
  return headerLen + bodyLen < 0.99 * (1 + n);
}

/** A rANS block's header at res[at…]: mode, symbol bitmap, frequencies, the two states. */
function writeHeader(res: Uint8Array, at: number, freq: Uint16Array, x0: number, x1: number): void {
  res[at] = 1;
  res.fill(0, at + 1, at + 33);
  let o = at + 33;
  for (let s = 0; s < 256; s++) {
    const f = freq[s];
    if (!f) continue;
    res[at + 1 + (s >> 3)] |= 1 << (s & 7);
    if (f < 128) res[o++] = f;
    else {
      res[o++] = 0x80 | (f & 0x7f);
      res[o++] = f >> 7;
    }
  }
  const dv = new DataView(res.buffer, res.byteOffset, res.byteLength);
  dv.setUint32(o, x0, true);
  dv.setUint32(o + 4, x1, true);
}

/** A block coding src; `loop` 'js' runs the TypeScript loops even where the WebAssembly ones are available (tests). */
export function ransEncode(src: Uint8Array, loop: 'fast' | 'js' = 'fast'): Uint8Array {
  const n = src.length;
  if (n === 0) return Uint8Array.of(0);
  const w = loop === 'fast' ? ransModule() : null;
  if (w) {
    const at = w.work(2 * n + encodeSlack(n));
    w.bytes().set(src, at);
    const len = w.encodeBlock(at, n, at + n);
    return w.bytes().slice(at + n, at + n + len);
  }
  const p = plan(countBytes(src), n);
  if (p.mode === 2) return Uint8Array.of(2, src[0]);
  if (p.mode === 0) return stored(src);
  const enc = encodeLoopJs(src, p.freq, p.cum);
  if (!enc || !worthIt(p.headerLen, enc.body.length, n)) return stored(src);
  const res = new Uint8Array(p.headerLen + enc.body.length);
  writeHeader(res, 0, p.freq, enc.x0, enc.x1);
  res.set(enc.body, p.headerLen);
  return res;
}

/** −log2(f / 2^14) for f = 0…2^14, by elementary.ts's log: the same doubles on every runtime. */
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

function stored(src: Uint8Array): Uint8Array {
  const res = new Uint8Array(1 + src.length);
  res[0] = 0;
  res.set(src, 1);
  return res;
}

/** Bytes beyond a block's own length that encodeBlock may use at its destination. */
export function encodeSlack(n: number): number {
  return (n >> 3) + 640;
}

const COUNTS = 0; // 256 u32, and 3 KiB of scratch for the count
const SYMBOLS = 4096; // 256 × (freq, cum, xMax, reciprocal), u32 each
const STATES = SYMBOLS + 4096;
const FREQ = STATES + 16; // 256 u16: a block's frequencies, for its slot tables
const SLOT_SYMS = FREQ + 512; // 2^14 u8
const SLOT_STEPS = SLOT_SYMS + SCALE; // 2^14 u32
/** Where a caller's data starts (work()); below it, the tables above. */
const WORK = (SLOT_STEPS + 4 * SCALE + 15) & ~15;

interface RansExports {
  memory: WebAssembly.Memory;
  count(src: number, n: number, counts: number): void;
  encode(src: number, n: number, sym: number, cap: number, outEnd: number, states: number): number;
  slots(freq: number, syms: number, steps: number): void;
  decode(inp: number, len: number, out: number, n: number, x0: number, x1: number, syms: number, steps: number): number;
  split4(cur: number, prev: number, n: number, planes: number, diff: number): void;
  join4(planes: number, ref: number, n: number, out: number, transform: number, sign: number): void;
  decode_task(task: number): void;
}

/**
 * rans.wat's loops on their own memory: byte counts, the encoding and decoding loops (the same
 * bytes as the TypeScript loops, which tests compare), and the byte planes of float32 arrays.
 * Callers place their data from work() on; one instance per process, its memory reused call
 * to call (calls are synchronous).
 */
export class RansModule {
  readonly exports: RansExports;
  /** the compiled module, which threads instantiate on this instance's (shared) memory */
  readonly module: WebAssembly.Module;
  /** While set, the work area holds an array being decoded by threads (codec.ts decodeFloatsLater). */
  held = false;
  private view: Uint8Array;

  constructor(exports: RansExports, module: WebAssembly.Module) {
    this.exports = exports;
    this.module = module;
    this.view = new Uint8Array(exports.memory.buffer);
  }

  /** The memory's bytes (a new view after growth). */
  bytes(): Uint8Array {
    if (this.view.buffer !== this.exports.memory.buffer) this.view = new Uint8Array(this.exports.memory.buffer);
    return this.view;
  }

  /** The start of the work area, with at least `bytes` bytes there. */
  work(bytes: number): number {
    if (this.held) throw new Error('the rANS work area is in use: an array begun by decodeFloatsLater is not finished');
    const mem = this.exports.memory;
    const need = WORK + bytes + 16;
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    return WORK;
  }

  /**
   * Encodes the n bytes at src as a complete block at dst, returning its length (at most
   * 1 + n); dst must not overlap src and have n + encodeSlack(n) bytes.
   */
  encodeBlock(src: number, n: number, dst: number): number {
    const u8 = this.bytes();
    if (n === 0) {
      u8[dst] = 0;
      return 1;
    }
    const e = this.exports;
    e.count(src, n, COUNTS);
    const p = plan(new Uint32Array(e.memory.buffer, COUNTS, 256), n);
    if (p.mode === 2) {
      u8[dst] = 2;
      u8[dst + 1] = u8[src];
      return 2;
    }
    if (p.mode === 1) {
      const sym = new Uint32Array(e.memory.buffer, SYMBOLS, 1024);
      for (let s = 0; s < 256; s++) {
        const f = p.freq[s];
        sym[4 * s] = f;
        sym[4 * s + 1] = p.cum[s];
        sym[4 * s + 2] = renormLimit(f);
        // floor(2^32 / f): an estimate of x / f low by at most one, corrected in the loop
        sym[4 * s + 3] = f > 1 ? Math.floor(4294967296 / f) : 0xffffffff;
      }
      // the body is written backwards from its end, then moved behind the header; 2 spare bytes
      // below it (the loop stores a byte before it knows it keeps it)
      const cap = n + (n >> 3) + 16;
      const outEnd = dst + p.headerLen + 2 + cap;
      const pos = e.encode(src, n, SYMBOLS, cap, outEnd, STATES);
      if (pos >= 0 && worthIt(p.headerLen, outEnd - pos, n)) {
        const states = new Uint32Array(e.memory.buffer, STATES, 2);
        writeHeader(u8, dst, p.freq, states[0], states[1]);
        u8.copyWithin(dst + p.headerLen, pos, outEnd);
        return p.headerLen + outEnd - pos;
      }
    }
    u8[dst] = 0;
    u8.copyWithin(dst + 1, src, src + n);
    return 1 + n;
  }

  /** Decodes the block of len bytes at at into n bytes at dst (not overlapping it); RansError when corrupt. */
  decodeBlock(at: number, len: number, n: number, dst: number): void {
    const u8 = this.bytes();
    const block = u8.subarray(at, at + len);
    const h = parseBlock(block, n);
    if (h.mode === 0) u8.copyWithin(dst, at + 1, at + 1 + n);
    else if (h.mode === 2) u8.fill(block[1], dst, dst + n);
    else {
      const e = this.exports;
      new Uint16Array(e.memory.buffer, FREQ, 256).set(h.freq);
      e.slots(FREQ, SLOT_SYMS, SLOT_STEPS);
      const status = e.decode(at + h.stream, len - h.stream, dst, n, h.x0 | 0, h.x1 | 0, SLOT_SYMS, SLOT_STEPS);
      if (status !== 0) throw new RansError(DECODE_ERRORS[status]);
    }
  }
}

let ransInstance: RansModule | null | undefined;
let compiled: WebAssembly.Module | undefined;
const PAGES_MAX = 65536; // 4 GiB, as rans.wat declares

/** rans.wasm, compiled once per process (decode threads instantiate it on the same memory). */
function ransWasm(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./rans.wasm', import.meta.url)));
  return compiled;
}

/** The module, or null where WebAssembly is not available (the TypeScript loops then run). */
export function ransModule(): RansModule | null {
  if (ransInstance !== undefined) return ransInstance;
  try {
    const module = ransWasm();
    const memory = new WebAssembly.Memory({ initial: 1, maximum: PAGES_MAX, shared: true });
    ransInstance = new RansModule(new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as RansExports, module);
  } catch {
    ransInstance = null;
  }
  return ransInstance;
}

/** A block's header, checked: its mode and, for rANS, the table, states and where the stream starts. */
type Parsed = { mode: 0 } | { mode: 2 } | { mode: 1; freq: Uint16Array; cum: Uint32Array; x0: number; x1: number; stream: number };

export function parseBlock(block: Uint8Array, n: number): Parsed {
  if (block.length < 1) throw new RansError('empty block');
  const mode = block[0];
  if (mode === 0) {
    if (block.length !== 1 + n) throw new RansError(`stored block holds ${block.length - 1} bytes, expected ${n}`);
    return { mode };
  }
  if (mode === 2) {
    if (block.length !== 2) throw new RansError('bad repeated-byte block');
    return { mode };
  }
  if (mode !== 1) throw new RansError(`unknown block mode ${mode}`);
  if (block.length < 33) throw new RansError('truncated rANS header');
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
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const x0 = dv.getUint32(o, true);
  const x1 = dv.getUint32(o + 4, true);
  if (x0 < RANS_L || x0 >= RANS_L * 256 || x1 < RANS_L || x1 >= RANS_L * 256) throw new RansError('bad rANS initial state');
  return { mode, freq, cum, x0, x1, stream: o + 8 };
}

/**
 * Decodes exactly n bytes; throws RansError on any inconsistency (never reads out of bounds).
 * `loop` 'js' runs the TypeScript loop even where the WebAssembly one is available (tests).
 */
export function ransDecode(block: Uint8Array, n: number, loop: 'fast' | 'js' = 'fast'): Uint8Array {
  const w = loop === 'fast' ? ransModule() : null;
  if (w) {
    const at = w.work(block.length + n);
    w.bytes().set(block, at);
    w.decodeBlock(at, block.length, n, at + block.length);
    return w.bytes().slice(at + block.length, at + block.length + n);
  }
  const h = parseBlock(block, n);
  if (h.mode === 0) return block.slice(1);
  if (h.mode === 2) return new Uint8Array(n).fill(block[1]);
  return decodeLoopJs(block.subarray(h.stream), n, h.freq, h.cum, h.x0, h.x1);
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
