import { KernelThreads, TASKS_MAX, type Task } from '../kernels/threads.ts';
import { threadsPreferred } from '../kernels/registry.ts';
import { RansError } from '../errors.ts';
import { parseBlock, type RansModule } from './rans.ts';

/** A coded block of an array: plane `plane`'s values start…start+count−1, its bytes at…at+len of the array block. */
export interface CodedBlock {
  plane: number;
  start: number;
  count: number;
  at: number;
  len: number;
}

const TASK_WORDS = 10;
const BLOCK_WORDS = 8;
const FREQ_BYTES = 512; // 256 u16
const SLOTS_BYTES = 5 << 14; // a task's slot tables: 2^14 u8 symbols, 2^14 u32 steps

/**
 * decodeFloats' float32 path split across threads by segment: each task is a run of whole
 * segments — its blocks of every plane decoded into its own part of the planes, then joined into
 * its elements (rans.wat decode_task) — on the rANS module's shared memory, by the workers and
 * this thread (KernelThreads). Segments are independent (each block codes one plane of one
 * segment; the join is per element), so the bytes are the inline decoder's whatever the split.
 * Block headers are checked here, before any thread starts, with the inline decoder's checks; a
 * block that does not decode makes `begin` (or the function it returns) say false, and the caller
 * decodes inline, which names it exactly as it always has.
 */
export class DecodeThreads {
  private readonly threads: KernelThreads;

  constructor(w: RansModule, workers: number) {
    this.threads = new KernelThreads(w.module, w.exports.memory, workers, ['decode_task']);
  }

  get size(): number {
    return this.threads.size;
  }

  /** The tasks' element ranges: runs of whole segments (ends from the blocks of plane 0), at most TASKS_MAX. */
  private static ranges(blocks: readonly CodedBlock[], n: number): [number, number][] {
    const ends = blocks.filter((b) => b.plane === 0).map((b) => b.start + b.count);
    const tasks = Math.min(ends.length, TASKS_MAX);
    const out: [number, number][] = [];
    let start = 0;
    for (let t = 1, i = 0; t <= tasks && start < n; t++, i++) {
      // at least one segment, up to the first end at or past this task's share (the last: to n)
      const share = t === tasks ? n : (n * t) / tasks;
      while (i < ends.length - 1 && ends[i] < share) i++;
      out.push([start, ends[i]]);
      start = ends[i];
    }
    return out;
  }

  /** Work memory begin() needs for these blocks, beyond the array block, its planes, the reference and the output. */
  static scratchBytes(blocks: readonly CodedBlock[], n: number): number {
    const tasks = DecodeThreads.ranges(blocks, n).length;
    return 16 + 4 * (TASK_WORDS * tasks + BLOCK_WORDS * blocks.length) + FREQ_BYTES * blocks.length + SLOTS_BYTES * tasks;
  }

  /**
   * Starts decoding the array block at `at` (its blocks listed, plane by plane) into `outAt`,
   * joined with the reference at `refAt`; its planes go to `planes` (4·n bytes), the tasks' tables
   * to `scratch` (scratchBytes). The workers start at once; the function returned runs what they
   * have not, waits for the rest and says whether every block decoded. False at once (nothing
   * started) when a block's header does not decode.
   */
  begin(w: RansModule, at: number, blocks: readonly CodedBlock[], n: number, planes: number, refAt: number, outAt: number, transform: number, sign: 1 | -1, scratch: number): (() => boolean) | false {
    // an empty segment (no encoder writes one) belongs to no task: the inline decoder checks it
    if (blocks.some((k) => k.count === 0)) return false;
    const ranges = DecodeThreads.ranges(blocks, n);
    const u8 = w.bytes();
    const words = new Int32Array(u8.buffer);
    const freqs = new Uint16Array(u8.buffer);
    let o = (scratch + 15) & ~15;
    let freqAt = o + 4 * (TASK_WORDS * ranges.length + BLOCK_WORDS * blocks.length);
    let slotsAt = (freqAt + FREQ_BYTES * blocks.length + 15) & ~15;
    const tasks: Task[] = [];
    for (const [a, b] of ranges) {
      const mine = blocks.filter((k) => k.start >= a && k.start + k.count <= b);
      const m = b - a;
      const t = o >> 2;
      words.set([-1, mine.length, planes + 4 * a, refAt + 4 * a, m, outAt + 4 * a, transform, sign, slotsAt, slotsAt + (1 << 14)], t);
      slotsAt += SLOTS_BYTES;
      let d = t + TASK_WORDS;
      for (const k of mine) {
        let h;
        try {
          h = parseBlock(u8.subarray(at + k.at, at + k.at + k.len), k.count);
        } catch (e) {
          if (e instanceof RansError) return false;
          throw e;
        }
        const dst = planes + 4 * a + k.plane * m + (k.start - a);
        if (h.mode === 1) {
          freqs.set(h.freq, freqAt >> 1);
          words.set([1, at + k.at + h.stream, k.len - h.stream, k.count, dst, h.x0 | 0, h.x1 | 0, freqAt], d);
          freqAt += FREQ_BYTES;
        } else words.set([h.mode, at + k.at + 1, 0, k.count, dst, 0, 0, 0], d);
        d += BLOCK_WORDS;
      }
      tasks.push({ fn: 'decode_task', args: [o] });
      o = d << 2;
    }
    this.threads.post(tasks);
    split++;
    return () => {
      this.threads.join(tasks, (task) => w.exports.decode_task(task.args[0]));
      return tasks.every((task) => words[task.args[0] >> 2] === 0);
    };
  }

  close(): void {
    this.threads.close();
  }
}

let split = 0;

/** Arrays this process has handed to decode threads (tests and benchmarks see that the split ran). */
export function arraysSplit(): number {
  return split;
}

let pool: { threads: DecodeThreads; memoryBytes: number } | null = null;

/**
 * The process's decode threads on the rANS module's memory, as many as useThreads names (the
 * CLI's --threads), or null when that is one. Made when first asked for; made anew when the count
 * changes or the memory has grown since (a worker's instance may go on bounds-checking against
 * the old size, as kernels/wasm.ts explains), so callers ask after growing it.
 */
export function decodeThreads(w: RansModule): DecodeThreads | null {
  const want = threadsPreferred();
  const memoryBytes = w.exports.memory.buffer.byteLength;
  if (pool && pool.threads.size === want && pool.memoryBytes === memoryBytes) return pool.threads;
  pool?.threads.close();
  pool = want > 1 ? { threads: new DecodeThreads(w, want - 1), memoryBytes } : null;
  return pool?.threads ?? null;
}
