import { LogCorruptError, UsageError } from '../errors.ts';
import { openLog, type LogReader } from '../log/reader.ts';
import { checkModelTable, stateAt } from './state.ts';

/**
 * The whole-log check of every command that takes a log on trust — inspect, verify, diff, the
 * sweep's "finished" test and its merge: the reader's (checkIntegrity: every frame, the
 * structure, keyframes against their steps, the end record, the index), the header's parameter
 * table against the model's, and the start keyframe by the step after it (the one keyframe no
 * step record carries the hash of). A damaged index is reported last, after everything else
 * checked out. Returns the frames checked, and why the start keyframe could not be re-executed
 * here, if it could not (a numeric mode or architecture this weft does not know: not damage).
 */
export function checkLog(log: LogReader): { frames: number; notChecked: string | null } {
  let indexDamage: LogCorruptError | null = null;
  let frames: number;
  try {
    frames = log.checkIntegrity();
  } catch (e) {
    if (!(e instanceof LogCorruptError && log.indexDamage && e.offsetByte === log.indexDamage.offset)) throw e;
    indexDamage = e;
    frames = log.frames.length;
  }
  checkModelTable(log);
  let notChecked: string | null = null;
  try {
    if (log.keyframeSteps.includes(log.header.startStep)) stateAt(log, log.header.startStep);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    notChecked = `the start keyframe against the step after it: ${e.message}`;
  }
  if (indexDamage) throw indexDamage;
  return { frames, notChecked };
}

/**
 * A log opened for a command that answers from it (replay, export, sample, fourier, attention, fork):
 * checked whole first (checkLog), as inspect and verify do — a state re-executed past a damaged
 * record is right, but the damage would go unsaid. Closed again when it is not intact.
 */
export function openCheckedLog(path: string): LogReader {
  const log = openLog(path);
  try {
    checkLog(log);
    return log;
  } catch (e) {
    log.close();
    throw e;
  }
}
