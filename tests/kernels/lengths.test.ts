// Every kernel of every set checks its sizes and lengths at its entry (src/kernels/lengths.ts): a
// call whose array is shorter than its sizes say, whose size is not a whole number, or whose
// token index names no row is the same RangeError from the reference kernels, the WebAssembly
// kernels and the threaded ones — never a read past an array.
import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.ts';
import { IGNORED_TARGET, type AdamCoefficients, type Kernels } from '../../src/kernels/types.ts';
import { WasmKernels } from '../../src/kernels/wasm.ts';

type Kind = 'f32' | 'f64' | 'i32' | 'u8';
type Arg = { array: string; kind: Kind; n: number; fill?: number } | { size: string; v: number } | { value: unknown };
type Call = { kernel: Exclude<keyof Kernels, 'mode' | 'alloc' | 'allocBytes'>; args: Arg[] };

const [B, T, C, NH, OC, V, n] = [2, 3, 4, 2, 5, 7, 9];
const N = B * T;
const f32 = (array: string, len: number): Arg => ({ array, kind: 'f32', n: len, fill: 0.5 });
const f64 = (array: string, len: number): Arg => ({ array, kind: 'f64', n: len, fill: 0.25 });
const i32 = (array: string, len: number, fill: number): Arg => ({ array, kind: 'i32', n: len, fill });
const u8 = (array: string, len: number): Arg => ({ array, kind: 'u8', n: len, fill: 1 });
const size = (name: string, v: number): Arg => ({ size: name, v });
const COEFFICIENTS: AdamCoefficients = { beta1: 0.9, beta2: 0.999, oneMinusBeta1: 0.1, oneMinusBeta2: 0.001, eps: 1e-8, stepSize: 1e-3, bc2Sqrt: 0.5, l2: 0, decay: 1, decoupled: false };

/** One call of each kernel, every array exactly as long as its sizes need (offsets 1 and 2). */
const CALLS: Call[] = [
  { kernel: 'encoderForward', args: [f32('out', N * C), i32('idx', N, V - 1), f32('wte', V * C), f32('wpe', T * C), size('B', B), size('T', T), size('C', C)] },
  { kernel: 'encoderBackward', args: [f32('dwte', V * C), f32('dwpe', T * C), f32('dout', N * C), i32('idx', N, V - 1), size('B', B), size('T', T), size('C', C)] },
  { kernel: 'matmulForward', args: [f32('out', N * OC), f32('inp', N * C), f32('weight', 1 + OC * C), size('wOff', 1), f32('bias', 2 + OC), size('bOff', 2), size('N', N), size('C', C), size('OC', OC)] },
  { kernel: 'matmulBackward', args: [f32('dinp', N * C), f32('dweight', 1 + OC * C), size('wOff', 1), f32('dbias', 2 + OC), size('bOff', 2), f32('dout', N * OC), f32('inp', N * C), f32('weight', 1 + OC * C), size('N', N), size('C', C), size('OC', OC)] },
  { kernel: 'layernormForward', args: [f32('out', N * C), f64('mean', N), f64('rstd', N), f32('inp', N * C), f32('weight', 1 + C), size('wOff', 1), f32('bias', 2 + C), size('bOff', 2), size('N', N), size('C', C)] },
  { kernel: 'layernormBackward', args: [f32('dinp', N * C), f32('dweight', 1 + C), f32('dbias', 2 + C), size('wOff', 1), size('bOff', 2), f32('dout', N * C), f32('inp', N * C), f32('weight', 1 + C), f64('mean', N), f64('rstd', N), size('N', N), size('C', C)] },
  { kernel: 'rmsnormForward', args: [f32('out', N * C), f64('rstd', N), f32('inp', N * C), f32('weight', 1 + C), size('wOff', 1), size('N', N), size('C', C)] },
  { kernel: 'rmsnormBackward', args: [f32('dinp', N * C), f32('dweight', 1 + C), size('wOff', 1), f32('dout', N * C), f32('inp', N * C), f32('weight', 1 + C), f64('rstd', N), size('N', N), size('C', C)] },
  { kernel: 'attentionForward', args: [f32('out', N * C), f64('att', B * NH * T * T), f32('qkv', N * 3 * C), size('B', B), size('T', T), size('C', C), size('NH', NH)] },
  { kernel: 'attentionForwardLast', args: [f32('out', C), f64('att', NH * T), f32('qkv', T * 3 * C), size('T', T), size('C', C), size('NH', NH)] },
  { kernel: 'attentionBackward', args: [f32('dqkv', N * 3 * C), f32('dout', N * C), f32('qkv', N * 3 * C), f64('att', B * NH * T * T), size('B', B), size('T', T), size('C', C), size('NH', NH)] },
  ...['gelu', 'relu', 'tanh'].flatMap((kind): Call[] => [
    { kernel: 'activationForward', args: [{ value: kind }, f32('out', n), f32('inp', n), size('n', n)] },
    { kernel: 'activationBackward', args: [{ value: kind }, f32('dinp', n), f32('inp', n), f32('dout', n), size('n', n)] },
  ]),
  { kernel: 'dropoutForward', args: [f32('out', n), f32('inp', n), u8('keep', n), { value: 0.1 }, size('n', n)] },
  { kernel: 'dropoutBackward', args: [f32('dinp', n), f32('dout', n), u8('keep', n), { value: 0.1 }, size('n', n)] },
  { kernel: 'add', args: [f32('out', n), f32('a', n), f32('b', n), size('n', n)] },
  { kernel: 'crossEntropyForward', args: [f64('losses', N), f64('probs', N * V), f32('logits', N * V), i32('targets', N, V - 1), size('N', N), size('V', V)] },
  { kernel: 'crossEntropyBackward', args: [f32('dlogits', N * V), f64('probs', N * V), i32('targets', N, V - 1), size('N', N), size('V', V)] },
  { kernel: 'findNonFinite', args: [f32('a', n), size('n', n)] },
  { kernel: 'adamUpdate', args: [f32('params', n), f32('grads', n), f32('m', n), f32('v', n), size('n', n), { value: COEFFICIENTS }] },
];

const SETS: { name: string; make: () => Kernels }[] = [
  { name: 'reference', make: () => referenceKernels },
  { name: 'fast', make: () => new WasmKernels(1) },
  // every call split over three threads, however small
  { name: 'fast, 3 threads', make: () => new WasmKernels(3, 0) },
];

/** The call's arguments on set k; `own`: arrays from k's alloc, else plain arrays; `change` rewrites one argument. */
function argsOf(k: Kernels, call: Call, own: boolean, change: (a: Arg, i: number) => Arg = (a) => a): unknown[] {
  return call.args.map((arg, i) => {
    const a = change(arg, i);
    if ('value' in a) return a.value;
    if ('size' in a) return a.v;
    const arr = a.kind === 'f32' ? (own ? k.alloc('float32', a.n) : new Float32Array(a.n))
      : a.kind === 'f64' ? (own ? k.alloc('float64', a.n) : new Float64Array(a.n))
      : a.kind === 'u8' ? (own ? k.allocBytes(a.n) : new Uint8Array(a.n))
      : new Int32Array(a.n);
    arr.fill(a.fill ?? 0);
    return arr;
  });
}

function run(k: Kernels, call: Call, args: unknown[]): unknown {
  return (k[call.kernel] as (...a: unknown[]) => unknown).apply(k, args);
}

/** The message of the RangeError the call throws (the test fails when it throws none or another error). */
function rangeError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RangeError);
    return (e as Error).message;
  }
  return expect.fail('no error');
}

describe('kernel lengths are checked at the boundary, the same in every set', () => {
  it('the fast kernels refuse add with a 4-element input and n = 8 (they returned numbers read past it)', () => {
    for (const { make } of SETS.slice(1)) {
      const k = make();
      const out = new Float32Array(8);
      expect(() => k.add(out, new Float32Array(4).fill(1), new Float32Array(8).fill(1), 8)).toThrow(new RangeError('add: a has 4 elements, needs n = 8'));
      expect(Array.from(out)).toEqual(new Array(8).fill(0)); // nothing written
    }
  });

  for (const { name, make } of SETS) {
    it(`${name}: each kernel runs with arrays exactly as long as its sizes need, and with sizes 0`, () => {
      const k = make();
      for (const call of CALLS) {
        for (const own of [true, false]) {
          expect(() => run(k, call, argsOf(k, call, own)), call.kernel).not.toThrow();
          // every size (and offset) 0: arrays of the lengths above are long enough; no work, no error
          const zeros = call.kernel === 'encoderBackward' || call.kernel.startsWith('attention') ? (a: Arg) => ('size' in a && a.size === 'B' ? { ...a, v: 0 } : a) : (a: Arg) => ('size' in a ? { ...a, v: 0 } : a);
          expect(() => run(k, call, argsOf(k, call, own, zeros)), `${call.kernel} with sizes 0`).not.toThrow();
        }
      }
    });

    it(`${name}: an array one element short is a RangeError naming the kernel, the array and the sizes — the reference's error`, () => {
      const k = make();
      for (const call of CALLS) {
        call.args.forEach((arg, i) => {
          if (!('array' in arg)) return;
          const short = (a: Arg, j: number) => (j === i && 'array' in a ? { ...a, n: a.n - 1 } : a);
          for (const own of [true, false]) {
            const message = rangeError(() => run(k, call, argsOf(k, call, own, short)));
            // wte's rows are counted from its length (it may run past the vocabulary), dwte's must be whole
            const expected = arg.array === 'wte' ? `^encoderForward: idx\\[0\\] = ${V - 1} is not one of the ${V - 1} rows of wte$`
              : arg.array === 'dwte' ? `^encoderBackward: dwte has ${arg.n - 1} elements, not a whole number of rows of C = ${C}$`
              : `^${call.kernel}: ${arg.array} has ${arg.n - 1} elements, needs [^=]+ = ${arg.n}( \\(.*\\))?$`;
            expect(message, `${call.kernel} ${arg.array}`).toMatch(new RegExp(expected));
            expect(message).toBe(rangeError(() => run(referenceKernels, call, argsOf(referenceKernels, call, false, short))));
          }
        });
      }
    });

    it(`${name}: a size that is not a whole number in 0…2^31−1 is a RangeError naming the kernel and the size`, () => {
      const k = make();
      for (const call of CALLS) {
        call.args.forEach((arg, i) => {
          if (!('size' in arg)) return;
          for (const bad of [-1, 1.5, NaN, 2 ** 31]) {
            const message = rangeError(() => run(k, call, argsOf(k, call, false, (a, j) => (j === i ? { ...arg, v: bad } : a))));
            expect(message).toBe(`${call.kernel}: ${arg.size} must be a whole number in ${arg.size === 'NH' || (arg.size === 'C' && call.kernel === 'encoderBackward') ? 1 : 0}…2147483647, got ${bad}`);
          }
        });
      }
    });

    it(`${name}: a token index or target outside the vocabulary, and attention heads that do not divide C, are RangeErrors`, () => {
      const k = make();
      const pick = (kernel: Call['kernel']) => CALLS.find((c) => c.kernel === kernel)!;
      const withIndex = (v: number) => (a: Arg) => ('array' in a && a.kind === 'i32' ? { ...a, fill: v } : a);
      expect(rangeError(() => run(k, pick('encoderForward'), argsOf(k, pick('encoderForward'), false, withIndex(V))))).toBe(`encoderForward: idx[0] = ${V} is not one of the ${V} rows of wte`);
      expect(rangeError(() => run(k, pick('encoderBackward'), argsOf(k, pick('encoderBackward'), false, withIndex(-1))))).toBe(`encoderBackward: idx[0] = -1 is not one of the ${V} rows of dwte`);
      for (const kernel of ['crossEntropyForward', 'crossEntropyBackward'] as const) {
        expect(rangeError(() => run(k, pick(kernel), argsOf(k, pick(kernel), false, withIndex(V))))).toBe(`${kernel}: targets[0] = ${V} is not one of the ${V} classes (V) nor ignored (-100)`);
        expect(rangeError(() => run(k, pick(kernel), argsOf(k, pick(kernel), false, withIndex(-1))))).toBe(`${kernel}: targets[0] = -1 is not one of the ${V} classes (V) nor ignored (-100)`);
        // ignored targets (PyTorch's ignore_index) are taken, but not all of them: a mean over none is undefined
        expect(rangeError(() => run(k, pick(kernel), argsOf(k, pick(kernel), false, withIndex(IGNORED_TARGET))))).toBe(`${kernel}: every one of the ${N} targets is ignored (-100): a mean over no target is undefined`);
      }
      const rows = (a: Arg) => ('array' in a && a.array === 'dwte' ? { ...a, n: a.n + 1 } : a);
      expect(rangeError(() => run(k, pick('encoderBackward'), argsOf(k, pick('encoderBackward'), false, rows)))).toBe(`encoderBackward: dwte has ${V * C + 1} elements, not a whole number of rows of C = ${C}`);
      const threeHeads = (a: Arg) => ('size' in a && a.size === 'NH' ? { ...a, v: 3 } : a);
      expect(rangeError(() => run(k, pick('attentionForward'), argsOf(k, pick('attentionForward'), false, threeHeads)))).toBe(`attentionForward: C = ${C} is not a whole number of heads (NH = 3)`);
    });

    it(`${name}: alloc and allocBytes take whole numbers`, () => {
      const k = make();
      expect(rangeError(() => k.alloc('float32', -4))).toBe('alloc: n must be a whole number in 0…2147483647, got -4');
      expect(rangeError(() => k.allocBytes(2.5))).toBe('allocBytes: n must be a whole number in 0…2147483647, got 2.5');
    });
  }

  it('the message names the sizes a length comes from', () => {
    const call = CALLS.find((c) => c.kernel === 'matmulForward')!;
    const message = rangeError(() => run(referenceKernels, call, argsOf(referenceKernels, call, false, (a) => ('array' in a && a.array === 'weight' ? { ...a, n: 3 } : a))));
    expect(message).toBe(`matmulForward: weight has 3 elements, needs wOff + OC·C = ${1 + OC * C} (wOff = 1, OC = ${OC}, C = ${C})`);
  });
});
