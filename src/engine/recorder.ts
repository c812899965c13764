import type { WeftConfig } from '../config/config.ts';
import { canonicalConfig } from '../config/evolution.ts';
import type { RunObserver, RunResult } from './run.ts';
import type { StepRecord, Trainer } from './trainer.ts';
import { optimBuffers } from '../optim/registry.ts';
import { packBits } from '../rng/masks.ts';
import { WEFT_VERSION } from '../version.ts';
import { encodeBytes, segmentEnds } from '../log/codec.ts';
import { formatVersionOf } from '../log/format.ts';
import type { HeaderRecord, LogRecord } from '../log/records.ts';
import { encodeStep } from '../log/fields.ts';
import { LogWriter } from '../log/writer.ts';
import type { StateArrays } from './record-jobs.ts';
import { recordOutput, type RecordOutput } from './record-thread.ts';
import type { RecordContributor, StartRecord } from './contributor.ts';

export type { StartRecord };
import { contributorsOf, type ContributedKind } from './contributors.ts';

/**
 * What the recorder reads of a trainer: its state, table, model config, numeric mode and
 * vocabulary, and what its architecture declares — not its model, data or optimizer objects.
 */
export type RecordedTrainer = Pick<Trainer, 'state' | 'table' | 'modelConfig' | 'numericMode' | 'arch' | 'vocab' | 'stateHash' | 'stepsDone' | 'dropoutSites' | 'maskElements' | 'data'>;

export function makeHeader(scenario: string, config: WeftConfig, trainer: RecordedTrainer, parent: HeaderRecord['parent'] = null): HeaderRecord {
  const m = trainer.modelConfig;
  return {
    kind: 'header',
    format: formatVersionOf(config),
    weft: WEFT_VERSION,
    scenario,
    // as stored: keys added since the first logs, at their "as before", left out (config/evolution.ts)
    config: canonicalConfig(config) as unknown as WeftConfig,
    seed: config.seed,
    dtype: config.dtype,
    numericMode: trainer.numericMode,
    arch: trainer.arch,
    mode: config.record.mode,
    keyframeEvery: config.record.keyframeEvery,
    vocabSize: m.vocabSize,
    vocab: trainer.vocab,
    // the model's shape as its architecture declared it: everything downstream reads it from here
    params: trainer.table.tensors.map((t) => ({ name: t.name, shape: [...t.shape], offset: t.offset, size: t.size, layer: t.layer })),
    dropoutSites: [...trainer.dropoutSites],
    maskElements: trainer.maskElements,
    optimBuffers: optimBuffers(config.optim.kind),
    parent,
    startStep: trainer.stepsDone,
    // only for a user's files: every other header keeps its bytes
    ...(trainer.data.task.source ? { data: structuredClone(trainer.data.task.source) } : {}),
  };
}

/** Codec segments of the parameter buffer (and of the moments, which mirror it). */
export function segmentsOf(trainer: Pick<Trainer, 'table'>): number[] {
  return segmentEnds(trainer.table.tensors.map((t) => t.offset + t.size), trainer.table.total);
}

function stateOf(trainer: RecordedTrainer): StateArrays {
  const s = trainer.state;
  return { params: s.params, m: s.m, v: s.v };
}

/** What a step job's coded arrays are in the record until the job codes them. */
const EMPTY = new Uint8Array(0);

/** Packs every site's keep-mask into one bit string, in site order. */
export function packMasks(masks: Map<string, Uint8Array>, sites: readonly string[]): Uint8Array {
  const per = masks.get(sites[0])!.length;
  const all = new Uint8Array(per * sites.length);
  sites.forEach((s, i) => all.set(masks.get(s)!, i * per));
  return packBits(all);
}

/**
 * Writes a run into a log, following its recording policy:
 * - full: every step's parameters and moments, as differences from the step before;
 * - compact: the clipped gradient only (parameters and moments are re-derived through the
 *   optimizer on read; masks from the seed);
 * - summary: scalars, norms, masks and hashes only.
 * Every mode writes keyframes every `keyframeEvery` steps, at the start and at the end. What
 * other parts of weft add to the log (attention probes, evaluations: RecordContributor) is written where they
 * hand it over — after the start's and each step's keyframe, and before the end record — without
 * the recorder knowing what it holds. The arrays are coded and the state hashed by jobs
 * (record-jobs.ts) that run on a recording thread for a file log of a large enough model
 * (record-thread.ts), while the next step trains, and otherwise here: the bytes are the same.
 */
export class Recorder implements RunObserver {
  readonly writer: RecordOutput;
  private readonly config: WeftConfig;
  private readonly sites: readonly string[];
  private lastKeyframe = -1;
  private readonly ends: number[];
  /** what other parts of weft add to the log (read-only: a progress line reads the latest evaluation) */
  readonly contributors: readonly RecordContributor[];

  /**
   * `keyframe`/`contributed` at the start: written now (a new log), already in the log at this
   * step (`present`: a resume), or not due here (`none`: a resume between intervals). `thread`:
   * whether a file log is written by a recording thread (default: by the model's size, recordOutput).
   */
  constructor(writer: LogWriter, header: HeaderRecord, trainer: RecordedTrainer, start: { header?: boolean; keyframe?: StartRecord; contributed?: (kind: ContributedKind) => StartRecord; contributors?: RecordContributor[]; thread?: boolean } = {}) {
    this.config = header.config;
    this.sites = header.dropoutSites;
    this.ends = segmentsOf(trainer);
    this.contributors = start.contributors ?? contributorsOf(header, trainer, start.contributed ?? (() => 'write'));
    this.writer = recordOutput(writer, this.ends, trainer.table.total, start.thread ?? null);
    try {
      if (start.header ?? true) this.writer.write(header, true);
      const keyframe = start.keyframe ?? 'write';
      if (keyframe === 'write') this.keyframe(trainer);
      else this.lastKeyframe = keyframe === 'present' ? trainer.stepsDone : -1;
      this.contribute((c) => c.atStart(trainer));
      if (this.config.record.mode === 'full') this.writer.run({ op: 'prev', state: stateOf(trainer), owned: false });
    } catch (e) {
      // no caller holds this recorder: what was written stays readable, the file and its lock are let go
      this.writer.abandon();
      throw e;
    }
  }

  /**
   * Continues a log whose frames up to the trainer's step are already written (resume).
   * `keyframe` (and `contributed`, the contributors' records): the log has one at this step
   * (`present`), should have had one but the run was killed before writing it (`write`), or none
   * is due here (`none`).
   */
  static continueLog(writer: LogWriter, header: HeaderRecord, trainer: RecordedTrainer, keyframe: StartRecord, contributed: (kind: ContributedKind) => StartRecord = () => 'none'): Recorder {
    return new Recorder(writer, header, trainer, { header: false, keyframe, contributed });
  }

  private contribute(records: (c: RecordContributor) => LogRecord[]): void {
    for (const c of this.contributors) for (const r of records(c)) this.writer.write(r);
  }

  /** Starts a new log at `path`; an existing file is refused unless `overwrite`; `thread` as the constructor's. */
  static create(path: string, scenario: string, config: WeftConfig, trainer: RecordedTrainer, opts: { overwrite?: boolean; thread?: boolean } = {}): Recorder {
    const header = makeHeader(scenario, config, trainer);
    // what the config adds is built before the file: a config it cannot serve writes nothing
    const contributors = contributorsOf(header, trainer, () => 'write');
    const { thread, ...open } = opts;
    return new Recorder(LogWriter.create(path, { ...open, format: header.format }), header, trainer, { contributors, thread });
  }

  private keyframe(trainer: RecordedTrainer): void {
    const s = trainer.state;
    this.writer.run({ op: 'keyframe', step: s.step, optimT: s.optimT, state: stateOf(trainer), owned: false });
    this.lastKeyframe = trainer.stepsDone;
  }

  onStep(rec: StepRecord, trainer: RecordedTrainer): void {
    const completed = trainer.stepsDone === rec.step;
    if (completed) this.step(rec, trainer);
    if (rec.anomaly) {
      const a = rec.anomaly;
      this.writer.write({ kind: 'anomaly', step: a.step, stage: a.stage, tensor: a.tensor, index: a.index });
      return;
    }
    if (trainer.stepsDone % this.config.record.keyframeEvery === 0) this.keyframe(trainer);
    if (completed) this.contribute((c) => c.afterStep(trainer));
  }

  /** The step's record: its scalars, batch and masks built here, its arrays coded and its state hashed by a job. */
  private step(rec: StepRecord, trainer: RecordedTrainer): void {
    const mode = this.config.record.mode;
    // the job fills in what is a placeholder here (EMPTY, ''): the keys keep their order
    const masks = rec.masks && mode !== 'compact' ? encodeBytes(packMasks(rec.masks, this.sites)) : null;
    const body = encodeStep({
      step: rec.step,
      inputs: rec.inputs,
      targets: rec.targets,
      loss: rec.loss,
      lr: rec.lr,
      gradNormGlobal: rec.gradNorm.global,
      gradNormPerLayer: rec.gradNorm.perLayer,
      gradNormPerTensor: rec.gradNorm.perTensor,
      clipFactor: rec.clipFactor,
      masks,
      params: mode === 'full' ? EMPTY : null,
      m: mode === 'full' ? EMPTY : null,
      v: mode === 'full' ? EMPTY : null,
      grads: mode === 'compact' ? EMPTY : null,
      optimT: trainer.state.optimT,
      stateHash: '',
    });
    this.writer.run({ op: 'step', body, step: rec.step, optimT: trainer.state.optimT, state: stateOf(trainer), full: mode === 'full', grads: mode === 'compact' ? rec.grads : null, owned: false });
  }

  /**
   * Final keyframe (unless the last step has one), what the contributors add at the finish (the
   * last step's probes unless interrupted: a resumed run must write what an uninterrupted one
   * does), the end record, the index.
   */
  finish(result: RunResult, trainer: RecordedTrainer): void {
    if (this.lastKeyframe !== trainer.stepsDone) this.keyframe(trainer);
    this.contribute((c) => c.atFinish(trainer, result));
    this.writer.write({ kind: 'end', reason: result.reason, steps: trainer.stepsDone, stateHash: trainer.stateHash() }, true);
    this.writer.close();
  }
}
