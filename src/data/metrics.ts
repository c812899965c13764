import { IGNORED_TARGET } from '../kernels/types.ts';
import type { Dataset, SplitName } from './dataset.ts';

/** A split's figures: what an evaluation (an `eval` record) reports for it. */
export interface SplitMetrics {
  split: SplitName;
  examples: number;
  /** the targets counted: the loss's divisor, and the accuracy's */
  counted: number;
  /** the mean cross-entropy over the counted targets; NaN for an empty split */
  loss: number;
  /** the share of counted targets the model's argmax names, for a task with one answer per example (else null) */
  accuracy: number | null;
}

/**
 * Counted targets whose row of logits has its maximum at the target — the first maximum, as
 * torch.argmax takes it; a row holding NaN is never right. logits: (N, V) row-major.
 */
export function correctAnswers(logits: ArrayLike<number>, targets: Int32Array, V: number): { counted: number; correct: number } {
  let counted = 0;
  let correct = 0;
  for (let n = 0; n < targets.length; n++) {
    const tgt = targets[n];
    if (tgt === IGNORED_TARGET) continue;
    counted++;
    const z = n * V;
    let best = 0;
    let finite = true;
    for (let v = 0; v < V; v++) {
      const x = logits[z + v];
      if (x !== x) finite = false;
      else if (x > logits[z + best]) best = v;
    }
    if (finite && best === tgt) correct++;
  }
  return { counted, correct };
}

/** What an evaluation needs of a model: a forward pass returning the mean loss over counted targets, and its logits. */
export interface EvaluatedModel {
  forward(inputs: Int32Array, targets: Int32Array, masks: null): number;
  readonly lastLogits: ArrayLike<number>;
  readonly cfg: { vocabSize: number };
}

/**
 * A split's loss and accuracy, dropout off, over its examples once each (or its first `batches`
 * batches), batch after batch in ascending order: the loss is Σ (batch mean · batch count) /
 * Σ counts, accumulated in float64 in that order (deterministic; it is not the sum of per-target
 * losses rounded once).
 */
export function evaluate(data: Dataset, model: EvaluatedModel, split: SplitName, batches = data.evalBatches(split)): SplitMetrics {
  let counted = 0;
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < batches; i++) {
    const { inputs, targets } = data.evalBatch(split, i);
    const loss = model.forward(inputs, targets, null);
    const c = correctAnswers(model.lastLogits, targets, model.cfg.vocabSize);
    lossSum += loss * c.counted;
    counted += c.counted;
    correct += c.correct;
  }
  return {
    split,
    examples: Math.min(data.split[split].length, batches * data.batchSize),
    counted,
    loss: counted ? lossSum / counted : NaN,
    accuracy: data.task.oneAnswer ? (counted ? correct / counted : NaN) : null,
  };
}

/** Accuracy of both splits after a run's last step, as the run's summary shows it. */
export interface RunAccuracy {
  /** the step whose parameters were evaluated (the last step taken) */
  step: number;
  train: SplitMetrics;
  /** null when nothing is held out (data.trainFraction 1) */
  heldOut: SplitMetrics | null;
}

/**
 * The end-of-run accuracy of a task with one answer per example, when it is cheap: one forward
 * pass per batch of each split, done only when those passes are no more than the steps the run
 * took (a forward pass is a third of a step or less, so the summary costs a run a third more at
 * most). Null for a task without one answer (language modelling) or splits too large for that.
 */
export function runAccuracy(data: Dataset, model: EvaluatedModel, step: number, stepsTaken: number): RunAccuracy | null {
  if (!data.task.oneAnswer) return null;
  if (data.evalBatches('train') + data.evalBatches('heldOut') > stepsTaken) return null;
  return { step, train: evaluate(data, model, 'train'), heldOut: data.split.heldOut.length ? evaluate(data, model, 'heldOut') : null };
}
