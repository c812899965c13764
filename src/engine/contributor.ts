import type { LogRecord } from '../log/records.ts';
import type { RunResult } from './run.ts';
import type { TrainingState } from './trainer.ts';

/** A record due at a log's start step: to write now, already in the log (a resume), or not due there. */
export type StartRecord = 'write' | 'present' | 'none';

/** What a contributor reads of the trainer: its state and the steps done. */
export interface ContributedFrom {
  readonly state: TrainingState;
  readonly stepsDone: number;
}

/**
 * Records another part of weft adds to a run's log (attention probes: engine/probe.ts; evaluations: engine/evaluation.ts; the list: contributors.ts). The
 * recorder writes what it hands over, where it does — after the start's keyframe, after each
 * completed step and its keyframe, before the end record — and knows nothing of what it holds.
 * A contributor reads the state; it changes no bit of training or of the other records.
 */
export interface RecordContributor {
  /** the kind of record it writes */
  readonly kind: string;
  atStart(trainer: ContributedFrom): LogRecord[];
  afterStep(trainer: ContributedFrom): LogRecord[];
  atFinish(trainer: ContributedFrom, result: RunResult): LogRecord[];
}
