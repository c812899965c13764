import { kernelsFor, type KernelImplementation } from '../kernels/registry.ts';
import { numericModeOf } from '../kernels/modes.ts';
import type { FloatArray, Kernels } from '../kernels/types.ts';
import { architectureOf, type Model } from '../model/model.ts';
import type { ModelConfig } from '../model/params.ts';
import type { ParamTable } from '../layout/table.ts';
import { initParams } from '../model/init.ts';
import { Dataset, type LoggedBatches } from '../data/dataset.ts';
import { clipFactor, gradNorms, scaleInPlace, type GradNorms } from '../optim/clip.ts';
import { createOptimState, optimizerStep } from '../optim/registry.ts';
import type { OptimState } from '../optim/optimizer.ts';
import { lrAt } from '../optim/schedule.ts';
import type { WeftConfig } from '../config/config.ts';
import { stateHashOf } from './hash.ts';
import { dropoutMasks, maskBuffers } from '../rng/masks.ts';

/** Where a NaN or Inf first appeared in a step. */
export interface Anomaly {
  step: number;
  /**
   * `loss` (the forward pass; `tensor` is then the first non-finite activation), `grad` (a
   * parameter's gradient) or `param` (a parameter after the update).
   */
  stage: 'loss' | 'grad' | 'param';
  tensor: string | null;
  index: number | null;
}

/** Everything the engine knows about one step; the recorder picks what its policy keeps. */
export interface StepRecord {
  step: number;
  inputs: Int32Array;
  /** the next tokens, IGNORED_TARGET where the task counts no loss (its loss mask) */
  targets: Int32Array;
  /** the mean cross-entropy over the counted targets */
  loss: number;
  lr: number;
  /** Norms of the gradient before clipping. */
  gradNorm: GradNorms;
  clipFactor: number;
  /** Dropout keep-masks by site (1 kept), views valid until the next step. */
  masks: Map<string, Uint8Array> | null;
  /** Gradients after clipping (the optimizer's input), a view valid until the next step. */
  grads: FloatArray;
  /** null when the step completed; else the step stopped before or after its update. */
  anomaly: Anomaly | null;
  /**
   * Hash of the full state after the step (parameters, optimizer state, step), computed when
   * first read (a few milliseconds on fabric-bench, which an unrecorded run need not spend): read
   * it before the next step, as every observer does.
   */
  stateHash: string;
}

/**
 * A training state: what a keyframe holds, what replay rebuilds and export writes — the step,
 * the parameters and the optimizer's state (its buffers in their two slots, empty when it keeps
 * none; optim/optimizer.ts names them).
 */
export interface TrainingState {
  /** steps completed (0 = the initial state) */
  step: number;
  params: FloatArray;
  m: FloatArray;
  v: FloatArray;
  /** the optimizer's update count */
  optimT: number;
}

export interface TrainerOptions {
  /** A kernel set as it is (tests); else the set for `numericMode` and `implementation`. */
  kernels?: Kernels;
  /** The numeric mode to train in: a log header's, when re-executing it (default: the config's `numeric`). */
  numericMode?: string;
  /** fast (default) or reference: the same bits either way. */
  implementation?: KernelImplementation;
  /** Threads the fast kernels split calls over (default: useThreads's, 1 unless set): the same bits either way. */
  threads?: number;
  /** A log's recorded batches to train on (re-executing it without its data's files). */
  loggedBatches?: LoggedBatches;
}

/**
 * The training loop's state and its one verb, `step()`. Knows nothing about files: a run's
 * observers (recorder, progress) receive StepRecords.
 */
export class Trainer {
  readonly config: WeftConfig;
  readonly model: Model;
  /** the architecture's name (config.model.arch), as the log header records it */
  readonly arch: string;
  /** the dropout sites, in forward order, and each one's mask elements: as the architecture declares them */
  readonly dropoutSites: readonly string[];
  readonly maskElements: number;
  readonly data: Dataset;
  readonly optim: OptimState;
  /** Steps completed; 0 = the initial state. */
  stepsDone = 0;
  stopped: Anomaly | null = null;
  /** Bumped whenever the state changes: a StepRecord's lazy hash is only valid within its own. */
  private generation = 0;
  /** Dropout keep-masks by site, allocated by the kernel set on the first step and refilled on each. */
  private maskBuffers: Map<string, Uint8Array> | null = null;

  constructor(config: WeftConfig, opts: TrainerOptions = {}) {
    this.config = config;
    const m = config.model;
    this.data = new Dataset(config.data, m.vocabSize, m.contextLength, config.seed, opts.loggedBatches ?? null);
    const resolved = { ...m, vocabSize: this.data.vocabSize };
    const arch = architectureOf(m.arch);
    this.arch = arch.name;
    this.dropoutSites = arch.dropoutSites(resolved);
    this.maskElements = arch.maskElements(resolved, config.data.batchSize, m.contextLength);
    this.model = arch.create(resolved, opts.kernels ?? kernelsFor(opts.numericMode ?? numericModeOf(config.numeric), opts.implementation, opts.threads), config.dtype, config.data.batchSize, m.contextLength);
    initParams(this.model.params, this.model.table, resolved, config.seed);
    this.optim = createOptimState(config.optim.kind, config.dtype, this.model.table.total, (d, n) => this.model.kernels.alloc(d, n));
  }

  get params(): FloatArray {
    return this.model.params;
  }

  /** The current state, as views of the trainer's buffers (valid until the next step). */
  get state(): TrainingState {
    return { step: this.stepsDone, params: this.model.params, m: this.optim.m, v: this.optim.v, optimT: this.optim.t };
  }

  /** The parameter table of the model. */
  get table(): ParamTable {
    return this.model.table;
  }

  /** The numeric mode of the kernels it trains with (the log header records it). */
  get numericMode(): string {
    return this.model.kernels.mode;
  }

  /**
   * The word vocabulary (index = token id) the header records and probes encode sentences with;
   * null when the task's tokens are not words (the random corpus, modular: data.vocabulary names them).
   */
  get vocab(): string[] | null {
    return this.data.tokenizer ? [...this.data.tokenizer.vocab] : null;
  }

  /** The resolved model configuration (vocabulary size filled in from the corpus). */
  get modelConfig(): ModelConfig {
    return this.model.cfg;
  }

  stateHash(): string {
    return stateHashOf(this.stepsDone, this.optim.t, this.model.params, this.optim.m, this.optim.v);
  }

  /** Restores a state (from a log's keyframe) so training continues exactly from it. */
  loadState(step: number, params: FloatArray, m: FloatArray, v: FloatArray, t: number): void {
    if (params.length !== this.model.params.length || m.length !== this.optim.m.length || v.length !== this.optim.v.length) {
      throw new RangeError('state does not match the model and optimizer of this config');
    }
    this.generation++;
    this.model.params.set(params);
    this.optim.m.set(m);
    this.optim.v.set(v);
    this.optim.t = t;
    this.stepsDone = step;
    this.stopped = null;
  }

  step(): StepRecord {
    if (this.stopped) throw new Error(`run stopped at step ${this.stopped.step}`);
    const c = this.config;
    const trainer = this;
    const generation = ++this.generation; // the state changes from here on
    const s = this.stepsDone + 1;
    const { inputs, targets } = this.data.batch(s);
    if (c.model.dropout > 0) this.maskBuffers ??= maskBuffers(this.dropoutSites, this.maskElements, (n) => this.model.kernels.allocBytes(n));
    const masks = dropoutMasks(c.seed, s, this.dropoutSites, this.maskElements, c.model.dropout, this.maskBuffers ?? undefined);
    const model = this.model;
    const loss = model.forward(inputs, targets, masks);
    model.backward();
    const norms = gradNorms(model.grads, model.table);
    const factor = clipFactor(norms.global, c.clip.maxNorm);
    const lr = lrAt(c.schedule, c.optim.lr, s, c.steps);
    let anomaly: Anomaly | null = null;
    if (!Number.isFinite(loss)) anomaly = { step: s, stage: 'loss', tensor: model.firstNonFiniteActivation(), index: null };
    else if (!Number.isFinite(norms.global)) anomaly = { step: s, stage: 'grad', ...firstNonFinite(model.grads, model) };
    if (!anomaly) {
      scaleInPlace(model.grads, factor);
      optimizerStep(c.optim, lr, model.params, model.grads, this.optim, model.kernels);
      this.stepsDone = s;
      if (model.kernels.findNonFinite(model.params, model.params.length) >= 0) {
        anomaly = { step: s, stage: 'param', ...firstNonFinite(model.params, model) };
        // the state is hashed and may be logged: its NaNs as the canonical NaN, whose bits do
        // not depend on the engine or on how far it has optimized the optimizer's loop
        for (const a of [model.params, this.optim.m, this.optim.v]) canonicalizeNaN(a);
      }
    }
    if (anomaly) this.stopped = anomaly;
    let hash: string | null = null;
    return {
      step: s, inputs, targets, loss, lr, gradNorm: norms, clipFactor: factor, masks,
      grads: model.grads, anomaly,
      get stateHash(): string {
        if (hash === null) {
          if (trainer.generation !== generation) throw new Error(`the state hash of step ${s} was first read after the trainer moved on: read it before the next step`);
          hash = trainer.stateHash();
        }
        return hash;
      },
      set stateHash(h: string) {
        hash = h;
      },
    };
  }
}

function canonicalizeNaN(a: FloatArray): void {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) a[i] = NaN;
}

function firstNonFinite(a: FloatArray, model: Model): { tensor: string | null; index: number | null } {
  for (const t of model.table.tensors) {
    for (let i = 0; i < t.size; i++) if (!Number.isFinite(a[t.offset + i])) return { tensor: t.name, index: i };
  }
  return { tensor: null, index: null };
}
