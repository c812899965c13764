import type { Evaluation } from '../log/evals.ts';
import type { RunObserver } from './run.ts';
import type { Expectation, ScenarioRun } from './scenario.ts';
import { layerSpanNorms } from '../optim/clip.ts';
import type { Anomaly, StepRecord, Trainer } from './trainer.ts';

/** The figures of one step that a scenario's expectations read (ScenarioRun). */
export interface StepFigures {
  step: number;
  loss: number;
  gradNormGlobal: number;
  /** 0 = emb, 1…L = layers, L+1 = head */
  gradNormPerLayer: ArrayLike<number>;
  clipFactor: number;
  /** fraction of activations the dropout masks kept; null without dropout */
  maskKeptFraction: number | null;
  /**
   * L2 norm of each layer group's parameters after the step (as the goldens' paramNorm); absent
   * for a step read back from a log (a resumed run's earlier steps: the log holds no such norm)
   */
  paramNormPerLayer?: ArrayLike<number>;
}

/** Activations the dropout masks of a step kept, and how many they cover. */
export function maskCounts(masks: Iterable<Uint8Array>): { kept: number; total: number } {
  let kept = 0;
  let total = 0;
  for (const m of masks) {
    for (let i = 0; i < m.length; i++) kept += m[i];
    total += m.length;
  }
  return { kept, total };
}

/** A trained step's figures, as the engine hands them to observers. */
export function stepFigures(rec: StepRecord): StepFigures {
  const masks = rec.masks ? maskCounts(rec.masks.values()) : null;
  return {
    step: rec.step,
    loss: rec.loss,
    gradNormGlobal: rec.gradNorm.global,
    gradNormPerLayer: rec.gradNorm.perLayer,
    clipFactor: rec.clipFactor,
    maskKeptFraction: masks ? masks.kept / masks.total : null,
  };
}

/**
 * Builds the ScenarioRun of a run from its steps, in order (a step that stopped on NaN/Inf
 * included): as an observer of training, and from a log's earlier steps when a run resumes.
 * The goldens (golden/capture.ts) and `weft run` both read their expectations through it.
 * Figures are kept per step, a few numbers each, column by column.
 */
export class ScenarioRunBuilder implements RunObserver {
  private first = 0;
  private last = 0;
  private readonly loss: number[] = [];
  private readonly gradNormGlobal: number[] = [];
  /** (L+2) numbers per step, step after step */
  private readonly gradNormPerLayer: number[] = [];
  private readonly clipFactor: number[] = [];
  private readonly maskKeptFraction: (number | null)[] = [];
  /** (L+2) numbers per step as gradNormPerLayer, NaN where a step has none */
  private readonly paramNormPerLayer: number[] = [];

  /**
   * `nLayers`: the model's L (the layer groups are emb, 1…L, head); `what`: the run as an error
   * names it ("the golden run of baseline").
   */
  constructor(private readonly nLayers: number, private readonly what: string) {}

  onStep(rec: StepRecord, trainer?: Pick<Trainer, 'state' | 'table'>): void {
    this.add(trainer ? { ...stepFigures(rec), paramNormPerLayer: layerSpanNorms(trainer.state.params, trainer.table) } : stepFigures(rec));
  }

  add(f: StepFigures): void {
    if (this.first === 0) this.first = f.step;
    else if (f.step !== this.last + 1) throw new Error(`${this.what}: step ${f.step} added after step ${this.last}`);
    if (f.gradNormPerLayer.length !== this.nLayers + 2) throw new Error(`${this.what}: step ${f.step} has ${f.gradNormPerLayer.length} layer groups, not ${this.nLayers + 2}`);
    this.last = f.step;
    this.loss.push(f.loss);
    this.gradNormGlobal.push(f.gradNormGlobal);
    for (let l = 0; l < f.gradNormPerLayer.length; l++) this.gradNormPerLayer.push(f.gradNormPerLayer[l]);
    this.clipFactor.push(f.clipFactor);
    this.maskKeptFraction.push(f.maskKeptFraction);
    for (let l = 0; l < this.nLayers + 2; l++) this.paramNormPerLayer.push(f.paramNormPerLayer ? f.paramNormPerLayer[l] : NaN);
  }

  /** The steps added so far, as expectations read them; `lastStep` is 0 when there are none. */
  /** the run's held-out evaluations (config.eval), for expectations that read them */
  evaluations: Evaluation[] = [];

  run(anomaly: Anomaly | null): ScenarioRun {
    const groups = this.nLayers + 2;
    const at = (step: number): number => {
      if (!Number.isInteger(step) || this.first === 0 || step < this.first || step > this.last) {
        throw new RangeError(`${this.what} has no step ${step} (${this.first === 0 ? 'it ran no step' : this.first === this.last ? `it ran step ${this.first} only` : `it ran steps ${this.first}…${this.last}`})`);
      }
      return step - this.first;
    };
    const group = (layer: number | 'last' | 'head'): number => {
      const l = layer === 'last' ? this.nLayers : layer === 'head' ? this.nLayers + 1 : layer;
      if (!Number.isInteger(l) || l < 0 || l >= groups) throw new RangeError(`${this.what} has no layer group ${layer} (0 = emb, 1…${this.nLayers}, ${this.nLayers + 1} = head)`);
      return l;
    };
    return {
      lastStep: this.last,
      anomaly,
      loss: (step) => this.loss[at(step)],
      gradNorm: (step, layer) => (layer === 'global' ? this.gradNormGlobal[at(step)] : this.gradNormPerLayer[at(step) * groups + group(layer)]),
      clipFactor: (step) => this.clipFactor[at(step)],
      maskKeptFraction: (step) => this.maskKeptFraction[at(step)],
      paramNorm: (step, layer) => {
        const i = at(step) * groups;
        if (Number.isNaN(this.paramNormPerLayer[i])) return null;
        if (layer !== 'global') return this.paramNormPerLayer[i + group(layer)];
        let sq = 0;
        for (let l = 0; l < groups; l++) sq += this.paramNormPerLayer[i + l] ** 2;
        return Math.sqrt(sq);
      },
      evaluations: this.evaluations,
    };
  }
}

/** One expectation checked: whether it holds, and the error when its check threw. */
export interface ExpectationResult {
  text: string;
  /** true when it holds, and when it was not checked (notChecked says why): only a failed check is false */
  ok: boolean;
  error?: string;
  /** why a check was not made: the run ends before the step it speaks of (Expectation.from) */
  notChecked?: string;
}

/** Checks expectations on a run; a check that throws (a step the run does not have) fails with its error. */
export function checkExpectations(expectations: readonly Expectation[], run: ScenarioRun): ExpectationResult[] {
  return expectations.map((e) => {
    if (e.from !== undefined && run.lastStep < e.from) return { text: e.text, ok: true, notChecked: `the run ends at step ${run.lastStep}, before step ${e.from}` };
    try {
      return { text: e.text, ok: Boolean(e.check(run)) };
    } catch (err) {
      return { text: e.text, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  });
}
