import { createHash } from 'node:crypto';
import { trainerOnLoggedData } from './data.ts';
import { createReadStream } from 'node:fs';
import { ConfigError, LogCorruptError, UsageError } from '../errors.ts';
import type { WeftConfig } from '../config/config.ts';
import { Trainer } from '../engine/trainer.ts';
import { architectureOf } from '../model/model.ts';
import { paramTable } from '../log/records.ts';
import { LogLock } from '../log/lock.ts';
import { openLog, type FrameRef, type LogReader } from '../log/reader.ts';
import { KIND_CODES, type EndRecord } from '../log/records.ts';
import { unstartedLog } from '../log/unstarted.ts';
import { contributedSchedule } from '../engine/contributors.ts';
import { makeHeader, Recorder } from '../engine/recorder.ts';
import { LogWriter } from '../log/writer.ts';
import { stateAt } from './state.ts';

/** SHA-256 of a file's bytes (a log's identity, named by its forks). */
export async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * A trainer holding the parent's state after step n, under a (possibly changed) config. The
 * architecture must stay the same; a change of optimizer kind starts its state afresh (as a
 * new torch.optim optimizer would), otherwise moments and step count carry over.
 */
export function trainerAt(log: LogReader, n: number, config: WeftConfig): Trainer {
  const parent = log.header;
  // the parent's table as its log holds it, the fork's as its architecture declares it
  const a = paramTable(parent);
  const b = architectureOf(config.model.arch).table({ ...config.model, vocabSize: parent.vocabSize });
  if (a.total !== b.total || a.tensors.some((t, i) => t.name !== b.tensors[i]?.name || t.size !== b.tensors[i].size)) {
    throw new ConfigError('model', 'a fork must keep the parent’s architecture (layers, sizes, layer norm on/off)');
  }
  const [d, pd] = [config.data, parent.config.data];
  if (d.kind !== pd.kind || d.corpus !== pd.corpus || d.p !== pd.p || d.op !== pd.op || config.model.vocabSize !== parent.config.model.vocabSize) {
    const key = d.kind !== pd.kind ? 'data.kind' : d.p !== pd.p ? 'data.p' : d.op !== pd.op ? 'data.op' : 'data.corpus';
    throw new ConfigError(key, 'a fork must keep the parent’s data kind, corpus (or modulus and operation) and vocabulary');
  }
  if (config.dtype !== parent.dtype) throw new ConfigError('dtype', 'a fork must keep the parent’s dtype');
  const s = stateAt(log, n);
  // a run on a user's files keeps them, by hash (at config's paths: --data, a moved copy); the
  // parent's mode (its header's), unless the fork changes the config's numeric mode
  const t = trainerOnLoggedData(parent, config, { numericMode: config.numeric === parent.config.numeric ? parent.numericMode : undefined });
  if (config.optim.kind === parent.config.optim.kind) t.loadState(n, s.params, s.m, s.v, s.optimT);
  else t.loadState(n, s.params, t.optim.m, t.optim.v, 0);
  return t;
}

/** Starts a forked log at step n of `log`; the caller trains with the returned recorder attached. */
export async function startFork(log: LogReader, n: number, config: WeftConfig, out: string, opts: { overwrite?: boolean } = {}): Promise<{ trainer: Trainer; recorder: Recorder }> {
  if (n < log.header.startStep || n > log.lastStep) throw new UsageError(`--at ${n}: the log holds steps ${log.header.startStep}…${log.lastStep}`);
  if (config.steps <= n) throw new UsageError(`--steps ${config.steps} must be beyond the fork step ${n}`);
  const trainer = trainerAt(log, n, config);
  const header = makeHeader(log.header.scenario, config, trainer, { hash: await fileHash(log.path), step: n });
  return { trainer, recorder: new Recorder(LogWriter.create(out, { ...opts, format: header.format }), header, trainer) };
}

/** What `--resume` found and did: see resumeLogFile. */
export type Resumed =
  | { kind: 'continued'; trainer: Trainer; recorder: Recorder }
  | { kind: 'closed'; end: EndRecord }
  | { kind: 'restarted'; found: string; trainer: Trainer; recorder: Recorder };

/**
 * Prepares a killed or interrupted run's log to continue, under the log's lock, taken before the
 * log is read (a writer finishing meanwhile cannot change what is continued):
 * - a run that ended but was killed before its index was written is closed: the index and
 *   trailer are written, as its own close would have (`closed`);
 * - a file killed before its header record was complete (nothing complete is in it) is started
 *   afresh with `opts.restart`'s scenario and config (`restarted`), when given;
 * - otherwise everything after the last complete step is dropped (a torn tail; an interrupted
 *   run's closing keyframe, end record and index), and a trainer at that step is returned with a
 *   recorder appending to the same file (`continued`). `opts.check` sees the log first.
 * The finished log equals the log of an uninterrupted run, byte for byte.
 */
export function resumeLogFile(path: string, opts: { check?: (log: LogReader) => void; restart?: { scenario: string; config: WeftConfig }; dataPath?: string } = {}): Resumed {
  const lock = LogLock.acquire(path);
  try {
    const found = opts.restart ? unstartedLog(path) : null;
    if (found && opts.restart) {
      const { scenario, config } = opts.restart;
      const trainer = new Trainer(config);
      const header = makeHeader(scenario, config, trainer);
      return { kind: 'restarted', found, trainer, recorder: new Recorder(LogWriter.create(path, { overwrite: true, format: header.format, lock }), header, trainer) };
    }
    const log = openLog(path);
    try {
      opts.check?.(log);
      return resumeLog(log, lock, opts.dataPath);
    } finally {
      log.close();
    }
  } catch (e) {
    lock.release(); // (idempotent: a writer that took the lock over has released it already)
    throw e;
  }
}

/**
 * resumeLogFile for a log already open (the API's form): the file at its path is read again
 * under the lock, and a run that ended is refused (after its index is written, if a kill left
 * it out).
 */
export function startResume(log: LogReader): { trainer: Trainer; recorder: Recorder } {
  const r = resumeLogFile(log.path);
  if (r.kind === 'closed') throw new UsageError(`${log.path}: the run ended (${r.end.reason}, after ${r.end.steps} steps); nothing to resume (its index, which a kill left out, is written now)`);
  return r;
}

function resumeLog(log: LogReader, lock: LogLock, dataPath?: string): Resumed {
  const end = log.readEnd();
  const kept = (frames: FrameRef[]) => frames.map((f) => ({ offset: f.offset, kind: KIND_CODES[f.kind], step: f.step }));
  if (end && end.reason !== 'interrupted') {
    if (log.indexed) throw new UsageError(`${log.path}: the run ended (${end.reason}, after ${end.steps} steps); nothing to resume — fork it to continue with changes`);
    // killed between its end record and its index: what is missing is the index
    const last = log.frames[log.frames.length - 1];
    if (last !== log.endFrame) throw new LogCorruptError(log.path, last.offset, log.frames.length - 1, `a ${last.kind} record after the end record`);
    LogWriter.appendAt(log.path, { offset: last.end, frames: kept(log.frames), lastStep: log.lastStep, lock }).close();
    return { kind: 'closed', end };
  }
  if (log.anomalyFrames.length) throw new UsageError(`${log.path}: the run stopped on NaN/Inf; resuming would stop again`);
  const h = log.header;
  const k = log.lastStep;
  // keep the header, the steps up to k and the keyframes an uninterrupted run writes there
  // (due by the interval, or the start); an interrupted run's closing keyframe is not one of them
  const due = (step: number) => step % h.keyframeEvery === 0 || step === h.startStep;
  // and what the config adds (probes, evaluations), due likewise by their own intervals
  const schedule = new Map(contributedSchedule(h).map((c) => [c.kind as string, c.due]));
  const contributedDue = (kind: string, step: number) => schedule.get(kind)?.(step) ?? false;
  let keep = 0;
  log.frames.forEach((f, i) => {
    if ((f.kind === 'step' && f.step <= k) || (f.kind === 'keyframe' && f.step <= k && due(f.step)) || (schedule.has(f.kind) && f.step <= k && contributedDue(f.kind, f.step)) || f.kind === 'header') keep = i + 1;
  });
  const frames = log.frames.slice(0, keep);
  // (a run on a user's files: them by hash first; dataPath, --data, a moved copy)
  const trainer = trainerOnLoggedData(h, h.config, { numericMode: h.numericMode }, dataPath);
  if (log.keyframeSteps.length > 0) {
    const s = stateAt(log, k);
    trainer.loadState(k, s.params, s.m, s.v, s.optimT);
  } else if (k !== 0) throw new UsageError(`${log.path}: no keyframe to resume from`);
  // (killed before the initial keyframe: the fresh trainer is step 0, and the keyframe is written now)
  const writer = LogWriter.appendAt(log.path, { offset: frames[frames.length - 1].end, frames: kept(frames), lastStep: k, lock });
  const hasKeyframeAtK = frames.some((f) => f.kind === 'keyframe' && f.step === k);
  const presentAtK = (kind: string) => frames.some((f) => f.kind === kind && f.step === k);
  const recorder = Recorder.continueLog(writer, h, trainer, hasKeyframeAtK ? 'present' : due(k) ? 'write' : 'none', (kind) => presentAtK(kind) ? 'present' : contributedDue(kind, k) ? 'write' : 'none');
  return { kind: 'continued', trainer, recorder };
}
