import { runAccuracy, type EvaluatedModel, type RunAccuracy } from '../data/metrics.ts';
import { layerName } from '../layout/table.ts';
import type { RunObserver } from './run.ts';
import type { StepRecord, Trainer } from './trainer.ts';

export interface LayerNormsSummary {
  layer: number;
  name: string;
  gradNormFirst: number;
  gradNormLast: number;
}

export interface RunSummary {
  /** Steps taken, including one that stopped on NaN/Inf. */
  steps: number;
  /** The step the "first" figures are from (1, or the step after a resume or fork point). */
  firstStep: number;
  /** The step the "last" figures are from (the last one with a finite loss and gradient). */
  lastStep: number;
  lossFirst: number;
  lossLast: number;
  gradNormGlobalFirst: number;
  gradNormGlobalLast: number;
  gradNormGlobalMax: number;
  clippedSteps: number;
  layers: LayerNormsSummary[];
  /** a task with one answer per example (modular): both splits' accuracy after the last step, when cheap (data/metrics.ts runAccuracy) */
  accuracy?: RunAccuracy;
}

/** Collects what a person reads at the end of a run: loss first → last, norms per layer. */
export class SummaryObserver implements RunObserver {
  private first: StepRecord | null = null;
  private firstPerLayer: Float64Array | null = null;
  private last: StepRecord | null = null;
  private lastPerLayer: Float64Array | null = null;
  private maxNorm = 0;
  private clipped = 0;
  private count = 0;
  private nLayers = 0;
  private trainer: Trainer | null = null;
  private stopped = false;

  onStep(rec: StepRecord, trainer: Trainer): void {
    this.nLayers = trainer.config.model.nLayers;
    this.trainer = trainer;
    this.stopped = rec.anomaly !== null;
    if (!this.first) {
      this.first = rec;
      this.last = rec;
      this.lastPerLayer = Float64Array.from(rec.gradNorm.perLayer);
      this.firstPerLayer = Float64Array.from(rec.gradNorm.perLayer);
    }
    this.count++;
    // a step that hit NaN/Inf is reported as the anomaly; "last" is the last finite step
    if (rec.anomaly && rec.anomaly.stage !== 'param') return;
    this.last = rec;
    this.lastPerLayer = Float64Array.from(rec.gradNorm.perLayer);
    if (rec.gradNorm.global > this.maxNorm) this.maxNorm = rec.gradNorm.global;
    if (rec.clipFactor < 1) this.clipped++;
  }

  summary(): RunSummary | null {
    if (!this.first || !this.last) return null;
    const layers: LayerNormsSummary[] = [];
    for (let l = 0; l < this.firstPerLayer!.length; l++) {
      layers.push({ layer: l, name: layerName(l, this.nLayers), gradNormFirst: this.firstPerLayer![l], gradNormLast: this.lastPerLayer![l] });
    }
    // the parameters after the last step: not evaluated when that step stopped the run on NaN/Inf
    const t = this.trainer;
    const model = t?.model as Partial<EvaluatedModel> | undefined;
    const accuracy = t && !this.stopped && model?.lastLogits ? runAccuracy(t.data, model as EvaluatedModel, this.last.step, this.count) : null;
    return {
      steps: this.count,
      firstStep: this.first.step,
      lastStep: this.last.step,
      lossFirst: this.first.loss,
      lossLast: this.last.loss,
      gradNormGlobalFirst: this.first.gradNorm.global,
      gradNormGlobalLast: this.last.gradNorm.global,
      gradNormGlobalMax: this.maxNorm,
      clippedSteps: this.clipped,
      layers,
      ...(accuracy ? { accuracy } : {}),
    };
  }
}
