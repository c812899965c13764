import { LogCorruptError, WeftError } from '../errors.ts';
import { NO_END_RECORD, type LogReader } from '../log/reader.ts';
import type { Problem } from './types.ts';

/** A failure while reading a log, as the viewer's banner shows it. */
export function problemOf(e: unknown, readable: string): Problem {
  if (e instanceof LogCorruptError) return { kind: 'corrupt', message: e.message, offset: e.offsetByte >= 0 ? e.offsetByte : null, readable };
  if (e instanceof WeftError) return { kind: 'unreadable', message: e.message, offset: null, readable };
  throw e; // a bug, not the log's problem: the server reports it as one
}

/** Steps n…m in words. */
export function stepsReadable(steps: number[]): string {
  return steps.length ? `steps ${steps[0]}…${steps[steps.length - 1]}` : 'no step';
}

/** A log without an end record: a run killed (torn or not) or still being written. */
export function openEndProblem(log: LogReader): Problem | null {
  if (log.endFrame) return null;
  const n = log.stepNumbers.length;
  if (log.tornTailBytes) {
    const at = log.sizeBytes - log.tornTailBytes;
    return { kind: 'torn', message: `${log.path}: the run was killed mid-record: ${log.tornTailBytes} bytes of a torn record at byte ${at} dropped`, offset: at, readable: `${n} complete steps recovered` };
  }
  return { kind: 'open', message: `${log.path}: ${NO_END_RECORD}, or is still being written`, offset: null, readable: `${n} complete steps so far` };
}
