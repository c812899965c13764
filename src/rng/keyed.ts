import seedrandom from 'seedrandom';
import { log } from '../kernels/math.ts';

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
  private readonly prng: seedrandom.PRNG;

  constructor(key: string) {
    this.key = key;
    this.prng = seedrandom.alea(key);
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
