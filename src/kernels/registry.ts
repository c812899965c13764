import { UsageError } from '../errors.ts';
import { NUMERIC_MODES } from './modes.ts';
import { referenceKernels } from './reference.ts';
import { referenceF32Kernels } from './reference-f32.ts';
import type { Kernels } from './types.ts';
import { WasmKernels } from './wasm.ts';
import { WasmF32Kernels } from './wasm-f32.ts';

/**
 * Implementations of a numeric mode: `reference` (plain loops, the oracle) and `fast`
 * (WebAssembly SIMD). They produce the same bits, so the choice never reaches a log; the
 * numeric mode does (the log header names it), and re-execution takes its kernels from it.
 */
export const KERNEL_IMPLEMENTATIONS = ['fast', 'reference'] as const;
export type KernelImplementation = (typeof KERNEL_IMPLEMENTATIONS)[number];

const MODES: Record<string, Record<KernelImplementation, (threads: number) => Kernels>> = {
  [referenceKernels.mode]: { reference: () => referenceKernels, fast: (threads) => fastOrReference(() => new WasmKernels(threads), referenceKernels) },
  [referenceF32Kernels.mode]: { reference: () => referenceF32Kernels, fast: (threads) => fastOrReference(() => new WasmF32Kernels(threads), referenceF32Kernels) },
};

let fallbackSaid = false;

/**
 * The WebAssembly set, or — where this runtime lacks WebAssembly SIMD or shared memory — the
 * mode's reference kernels, said once on stderr. Both give the same bits, so only speed differs.
 */
function fastOrReference(fast: () => Kernels, reference: Kernels): Kernels {
  try {
    return fast();
  } catch (e) {
    if (!fallbackSaid) process.stderr.write(`weft: the fast kernels cannot start here (${(e as Error).message}); using the reference kernels (same results, slower)\n`);
    fallbackSaid = true;
    return reference;
  }
}

/** The numeric mode new runs use (the config's `numeric` default, f64acc). */
export const DEFAULT_NUMERIC_MODE = NUMERIC_MODES.f64acc;

/** A numeric mode's reference kernels, its oracle (the conformance test compares every set with it). */
export function referenceKernelsOf(mode: string): Kernels {
  return kernelsFor(mode, 'reference');
}

export function numericModes(): string[] {
  return Object.keys(MODES);
}

/**
 * A kernel set for a numeric mode (from a log header, or the default). An unknown mode is a
 * UsageError (exit 2) naming the modes this version knows. Each call returns a set of its own
 * (a fast set owns its memory).
 */
let preferred: KernelImplementation = 'fast';
let preferredThreads = 1;

/** The implementation kernelsFor picks when none is named (the CLI's --kernels sets it). */
export function useKernels(implementation: KernelImplementation): void {
  preferred = implementation;
}

/**
 * How many threads a fast kernel set splits its calls over (the CLI's --threads, by default the
 * machine's available parallelism; 1 for the library unless set). The bits do not depend on it.
 */
export function useThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads: expected a whole number ≥ 1, got ${threads}`);
  preferredThreads = threads;
}

/** The thread count useThreads set: fast kernel sets and the log's decoding (decode-threads.ts) split their work over it. */
export function threadsPreferred(): number {
  return preferredThreads;
}

export function kernelsFor(mode: string = DEFAULT_NUMERIC_MODE, implementation: KernelImplementation = preferred, threads: number = preferredThreads): Kernels {
  const m = Object.hasOwn(MODES, mode) ? MODES[mode] : undefined;
  if (!m) throw new UsageError(`numeric mode ${JSON.stringify(mode)} is not one this weft knows (${numericModes().join(', ')}); a newer weft may read it`);
  return m[implementation](threads);
}

export function parseImplementation(v: unknown, flag = '--kernels'): KernelImplementation | undefined {
  if (v === undefined) return undefined;
  if (!(KERNEL_IMPLEMENTATIONS as readonly string[]).includes(String(v))) throw new UsageError(`${flag}: expected one of ${KERNEL_IMPLEMENTATIONS.join(', ')}, got ${JSON.stringify(v)}`);
  return v as KernelImplementation;
}
