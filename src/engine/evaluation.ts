import type { Dataset } from '../data/dataset.ts';
import { evaluate } from '../data/metrics.ts';
import { kernelsFor } from '../kernels/registry.ts';
import type { Dtype, FloatArray } from '../kernels/types.ts';
import type { EvalConfig } from '../config/config.ts';
import { decodeEval, encodeEval, type Evaluation, type SplitFigures } from '../log/evals.ts';
import type { EvalRecord } from '../log/records.ts';
import { architectureOf, type Model } from '../model/model.ts';
import type { ModelConfig } from '../model/params.ts';
import type { ContributedFrom, RecordContributor, StartRecord } from './contributor.ts';

/**
 * Held-out evaluation: the held-out split's loss (and accuracy) and the training split's, from a
 * model of its own (the training batch size and context, one thread, memory apart from the
 * trainer's) with the trainer's weights and dropout off. It reads the weights and writes nothing
 * of training's: evaluating changes no bit of a run. Each split's first `batches` batches in
 * ascending order (eval.batches, or all of a split that has fewer; 0: the whole held-out split),
 * and as many training batches as held-out ones.
 */
export class Evaluator {
  private readonly model: Model;
  private readonly data: Dataset;
  readonly heldOutBatches: number;
  readonly trainBatches: number;

  constructor(cfg: ModelConfig, dtype: Dtype, numericMode: string, data: Dataset, evalCfg: EvalConfig) {
    // at most eval.batches of each split: a scenario's interval survives a --set that shrinks the
    // data (a smaller file, a larger batch); the record's `examples` says how many were evaluated
    const available = data.evalBatches('heldOut');
    this.data = data;
    this.heldOutBatches = evalCfg.batches === 0 ? available : Math.min(evalCfg.batches, available);
    this.trainBatches = Math.min(this.heldOutBatches, data.evalBatches('train'));
    this.model = architectureOf(cfg.arch).create(cfg, kernelsFor(numericMode, undefined, 1), dtype, data.batchSize, cfg.contextLength);
  }

  /** Both splits' figures with these weights. */
  evaluate(params: FloatArray, step: number): Evaluation {
    this.model.params.set(params);
    const figures = (split: 'heldOut' | 'train', batches: number): SplitFigures => {
      const m = evaluate(this.data, this.model, split, batches);
      return { examples: m.examples, counted: m.counted, loss: m.loss, accuracy: m.accuracy };
    };
    return { step, heldOut: figures('heldOut', this.heldOutBatches), train: figures('train', this.trainBatches) };
  }
}

/** The steps a run evaluates at: the start step, every `every` steps, and the last (completed) step. */
export function evalDue(every: number, startStep: number): (step: number) => boolean {
  return (step) => step % every === 0 || step === startStep;
}

/**
 * A run's evaluations as records for its log (config.eval): at the start step, every `every`
 * completed steps, and at the last step unless the run was interrupted (a resumed run must write
 * what an uninterrupted one does). The recorder writes them where they are due.
 */
export class EvalRecords implements RecordContributor {
  readonly kind = 'eval';
  private readonly evaluator: Evaluator;
  private readonly every: number;
  private lastEval = -1;
  private readonly start: StartRecord;
  /** the evaluation written last, for a progress line */
  latest: Evaluation | null = null;

  constructor(evaluator: Evaluator, every: number, start: StartRecord) {
    this.evaluator = evaluator;
    this.every = every;
    this.start = start;
  }

  private evaluate(t: ContributedFrom): EvalRecord[] {
    this.lastEval = t.stepsDone;
    this.latest = this.evaluator.evaluate(t.state.params, t.stepsDone);
    return [encodeEval(this.latest)];
  }

  atStart(t: ContributedFrom): EvalRecord[] {
    if (this.start === 'write') return this.evaluate(t);
    if (this.start === 'present') this.lastEval = t.stepsDone;
    return [];
  }

  afterStep(t: ContributedFrom): EvalRecord[] {
    return t.stepsDone % this.every === 0 ? this.evaluate(t) : [];
  }

  atFinish(t: ContributedFrom, result: { reason: string }): EvalRecord[] {
    return result.reason !== 'interrupted' && this.lastEval !== t.stepsDone ? this.evaluate(t) : [];
  }
}

/**
 * A run's evaluations without a log (config.eval): what the recorder would write, as the run
 * goes — for a golden's run and `weft run --no-log`, whose expectations read them too.
 */
export class EvaluationsOf {
  readonly evaluations: Evaluation[] = [];
  private readonly records: EvalRecords;

  constructor(trainer: ContributedFrom & { modelConfig: ModelConfig; numericMode: string; data: Dataset }, dtype: Dtype, evalCfg: EvalConfig) {
    this.records = new EvalRecords(new Evaluator(trainer.modelConfig, dtype, trainer.numericMode, trainer.data, evalCfg), evalCfg.every, 'write');
    this.push(this.records.atStart(trainer));
  }

  private push(records: EvalRecord[]): void {
    for (const r of records) this.evaluations.push(decodeEval(r));
  }

  /** After each completed step (an observer's onStep, once the step is done). */
  afterStep(trainer: ContributedFrom): void {
    this.push(this.records.afterStep(trainer));
  }

  finish(trainer: ContributedFrom, result: { reason: string }): Evaluation[] {
    this.push(this.records.atFinish(trainer, result));
    return this.evaluations;
  }
}
