import { ConfigError, UsageError } from '../engine/errors.ts';

export const EXIT = { ok: 0, differs: 1, usage: 2, corrupt: 3, internal: 4 } as const;

/** Errors that carry their own exit code (corrupt data is 3; see log/errors.ts). */
export interface CodedError extends Error {
  exitCode: number;
}

function isCoded(e: unknown): e is CodedError {
  return e instanceof Error && typeof (e as Partial<CodedError>).exitCode === 'number';
}

/** One line on stderr and an exit code; a stack trace only with WEFT_DEBUG=1. */
export function reportError(e: unknown, command: string): number {
  const debug = process.env.WEFT_DEBUG === '1';
  if (e instanceof ConfigError || e instanceof UsageError) {
    process.stderr.write(`weft ${command}: ${e.message}\n`);
    return EXIT.usage;
  }
  if (isCoded(e)) {
    process.stderr.write(`weft ${command}: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  // a file that cannot be read or written (ENOENT, EACCES, EISDIR, ENOSPC, …): one line, exit 2
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    // some calls (a read of a directory: EISDIR) leave the path out of the message
    const path = (e as NodeJS.ErrnoException).path;
    process.stderr.write(`weft ${command}: ${path && !msg.includes(path) ? `${path}: ` : ''}${msg}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`weft ${command}: internal error: ${msg}\n${debug ? `${(e as Error)?.stack}\n` : 'set WEFT_DEBUG=1 for a stack trace\n'}`);
  return EXIT.internal;
}
