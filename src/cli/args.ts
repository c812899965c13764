import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.ts';
export { intFlag } from '../engine/overrides.ts';
import { availableParallelism } from 'node:os';
import { parseImplementation, useKernels, useThreads } from '../kernels/registry.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** parseArgs in strict mode, with its errors turned into one-line UsageErrors. */
export function parse(argv: string[], options: Options, usage: string): Parsed {
  try {
    const r = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
    return r as Parsed;
  } catch (e) {
    const msg = (e as Error).message;
    const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec(msg);
    if (ambiguous) {
      const flag = ambiguous[1];
      const value = argv[argv.indexOf(flag) + 1];
      throw new UsageError(`${flag}: expected a non-negative value, got ${JSON.stringify(value)}`);
    }
    throw new UsageError(`${msg.split('\n')[0].replace(/\. To specify a positional argument.*$/, '')}\nusage: ${usage.split('\n')[0]}`);
  }
}

/**
 * The most threads `--threads` takes: the cores, and at least 8 — a few more than the cores cost
 * little and let a small machine show that results do not depend on the thread count, while
 * hundreds only starve each other (999 trained at 0.01 steps/s).
 */
export function threadsMax(): number {
  return Math.max(8, availableParallelism());
}

/**
 * Takes the flags every command accepts out of argv: `--kernels fast|reference` (the kernel
 * implementation) and `--threads N` (default: the machine's available parallelism). Neither
 * changes a bit of the results, only the speed.
 */
export function takeGlobalFlags(argv: string[]): string[] {
  useThreads(availableParallelism());
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const flag = /^--(kernels|threads)(=|$)/.exec(a);
    if (!flag) {
      rest.push(a);
      continue;
    }
    const v = flag[2] === '=' ? a.slice(flag[0].length) : argv[++i];
    if (flag[1] === 'kernels') useKernels(parseImplementation(v ?? '')!);
    else {
      if (!/^\d+$/.test(v ?? '')) throw new UsageError(`--threads: expected a whole number ≥ 1, got ${JSON.stringify(v ?? '')}`);
      if (Number(v) > threadsMax() && Number(v) >= 1) {
        throw new UsageError(`--threads ${v}: at most ${threadsMax()} (this machine has ${availableParallelism()} cores; threads beyond them only take turns on them)`);
      }
      useThreads(Number(v));
    }
  }
  return rest;
}

/** The flags every command takes, said under each command's usage. */
export const GLOBAL_FLAGS_LINE = '  --kernels fast|reference, --threads N   as for every command (weft --help): the speed, never a bit of the results';

/**
 * A command's arguments: prints its usage and returns null on --help, and checks that exactly
 * `expected.count` positional arguments came (described as `expected.what` in the error).
 */
export function parseCommand(argv: string[], options: Options, usage: string, expected: { count: number; what: string } | null): Parsed | null {
  const p = parse(argv, options, usage);
  if (p.values.help) {
    process.stdout.write(`${usage}\n${GLOBAL_FLAGS_LINE}\n`);
    return null;
  }
  if (expected && p.positionals.length !== expected.count) throw new UsageError(`expected ${expected.what}\nusage: ${usage.split('\n')[0]}`);
  return p;
}
