import { EXIT, WeftError } from '../errors.ts';

export { EXIT };

/**
 * One line on stderr and an exit code: a WeftError's own (src/errors.ts); a file the system
 * refused (ENOENT, EACCES, EISDIR, ENOSPC, …) 2; anything else is an internal error, 4, with a
 * stack trace only with WEFT_DEBUG=1.
 */
export function reportError(e: unknown, command: string): number {
  const debug = process.env.WEFT_DEBUG === '1';
  if (e instanceof WeftError) {
    process.stderr.write(`weft ${command}: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
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
