import seedrandom from 'seedrandom';

/** Alea's state (seedrandom's, spelled out so weft's declarations need no seedrandom types). */
export interface AleaState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}
import { log } from '../math/elementary.ts';

/**
 * A deterministic random stream keyed by (seed, purpose, coordinates…).
 *
 * Every consumer of randomness owns its own key, so adding or removing one consumer never
 * shifts another's draws, and any draw (a dropout mask of step 1724, say) can be regenerated
 * without replaying what came before it. Built on seedrandom's Alea, whose output is plain
 * integer/float arithmetic and therefore identical on every JS runtime.
 */
export class KeyedStream {
  readonly key: string;
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;

  constructor(key: string) {
    this.key = key;
    this.prng = seedrandom.alea(key, { state: true });
  }

  /**
   * out[i] = 1 when the stream's next uint32 is ≥ threshold, else 0, for every i: the draws of
   * uint32(), by Alea's own arithmetic (seedrandom lib/alea.js) in one tight loop — a step's
   * dropout masks are a few hundred thousand draws. The stream continues after them.
   */
  keepMask(out: Uint8Array, threshold: number): void {
    keepMasks([this], [out], threshold);
  }

  /** Alea's state, to run the generator elsewhere (keepMasks). */
  aleaState(): AleaState {
    return this.prng.state();
  }

  /** Continues the stream from a state aleaState gave and the draws since moved on. */
  setAleaState(state: AleaState): void {
    this.prng = seedrandom.alea('', { state });
  }

  /** Uniform integer in [0, 2^32). */
  uint32(): number {
    return this.prng.int32() >>> 0;
  }

  /** Uniform double in [0, 1) with 53 bits of resolution. */
  uniform(): number {
    return this.prng.double();
  }

  /** Uniform integer in [0, n), unbiased (rejection on the top of the 32-bit range). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`int(n): n must be an integer in [1, 2^32], got ${n}`);
    const limit = Math.floor(2 ** 32 / n) * n;
    for (;;) {
      const x = this.uint32();
      if (x < limit) return x % n;
    }
  }

  /**
   * Standard normal draw by Marsaglia's polar method: it needs only log and sqrt, and our log is
   * built from + − × ÷ (DESIGN rule 3), so the result is the same on every runtime. The second
   * value of each pair is dropped on purpose: a draw then depends on nothing but its position.
   */
  normal(): number {
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return u * Math.sqrt((-2 * log(s)) / s);
    }
  }
}

export type Coordinate = string | number;

/** The key string of a stream; part of the log format's determinism contract, so never change it. */
export function streamKey(seed: number, purpose: string, coords: readonly Coordinate[]): string {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  return ['weft-rng-v1', `seed=${seed}`, purpose, ...coords.map(String)].join('|');
}

export function keyedStream(seed: number, purpose: string, ...coords: Coordinate[]): KeyedStream {
  return new KeyedStream(streamKey(seed, purpose, coords));
}

/**
 * keepMask for many streams at once: out[k][i] = 1 when stream k's next uint32 is ≥ threshold.
 * Each draw of Alea waits on the one before it (a chain of a multiply, an add and a rounding),
 * so streams of equal length run two at a time, interleaved: independent chains overlap in the
 * CPU. Each stream's draws are exactly its own uint32() sequence (seedrandom lib/alea.js:
 * t = 2091639·s0 + c·2^-32; s0 = s1; s1 = s2; c = t | 0; s2 = t − c; int32 = s2·2^32 | 0).
 */
export function keepMasks(streams: readonly KeyedStream[], outs: readonly Uint8Array[], threshold: number): void {
  let k = 0;
  for (; k + 1 < streams.length && outs[k].length === outs[k + 1].length; k += 2) {
    const a = streams[k].aleaState();
    const b = streams[k + 1].aleaState();
    const oa = outs[k];
    const ob = outs[k + 1];
    let [ac, a0, a1, a2] = [a.c, a.s0, a.s1, a.s2];
    let [bc, b0, b1, b2] = [b.c, b.s0, b.s1, b.s2];
    for (let i = 0; i < oa.length; i++) {
      const ta = 2091639 * a0 + ac * 2.3283064365386963e-10; // 2^-32
      const tb = 2091639 * b0 + bc * 2.3283064365386963e-10;
      a0 = a1;
      a1 = a2;
      ac = ta | 0;
      a2 = ta - ac;
      b0 = b1;
      b1 = b2;
      bc = tb | 0;
      b2 = tb - bc;
      // s2 is a multiple of 2^-32 in [0, 1): s2·2^32 is exactly int32()'s value as a uint32
      oa[i] = a2 * 4294967296 >= threshold ? 1 : 0;
      ob[i] = b2 * 4294967296 >= threshold ? 1 : 0;
    }
    streams[k].setAleaState({ c: ac, s0: a0, s1: a1, s2: a2 });
    streams[k + 1].setAleaState({ c: bc, s0: b0, s1: b1, s2: b2 });
  }
  for (; k < streams.length; k++) {
    let { c, s0, s1, s2 } = streams[k].aleaState();
    const out = outs[k];
    for (let i = 0; i < out.length; i++) {
      const t = 2091639 * s0 + c * 2.3283064365386963e-10;
      s0 = s1;
      s1 = s2;
      c = t | 0;
      s2 = t - c;
      out[i] = s2 * 4294967296 >= threshold ? 1 : 0;
    }
    streams[k].setAleaState({ c, s0, s1, s2 });
  }
}
