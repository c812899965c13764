import { ConfigError } from '../errors.ts';
import { IGNORED_TARGET } from '../kernels/types.ts';
import { keyedStream } from '../rng/keyed.ts';
import { taskKindOf } from './registry.ts';
import { splitExamples, type Split } from './split.ts';
import type { DataConfig, Task } from './task.ts';
import type { Tokenizer } from './tokenizer.ts';

export type { DataConfig } from './task.ts';

export interface Batch {
  inputs: Int32Array; // (B,T)
  /** (B,T): the next token of each input, or IGNORED_TARGET where no loss is counted */
  targets: Int32Array;
}

export type SplitName = 'train' | 'heldOut';

/**
 * A config's data: its task's examples behind a keyed train/held-out split, in batches.
 * Training visits the train split's examples in a shuffled order per epoch (stream
 * `data/shuffle/epoch e` of the run seed). Batching is stateless: the batch of step s is a pure
 * function of s, so the data cursor after step N is just N.
 */
export class Dataset {
  readonly kind: string;
  readonly task: Task;
  readonly split: Split;
  readonly vocabSize: number;
  readonly tokenizer: Tokenizer | null;
  private readonly what: string;
  private readonly T: number;
  private readonly B: number;
  private readonly seed: number;
  private permCache: { epoch: number; perm: Uint32Array } | null = null;

  constructor(cfg: DataConfig, vocabSize: number, T: number, seed: number) {
    this.T = T;
    this.B = cfg.batchSize;
    this.seed = seed;
    const kind = taskKindOf(cfg.kind);
    this.kind = kind.kind;
    this.what = kind.describe(cfg);
    this.task = kind.build(cfg, { vocabSize, contextLength: T });
    this.vocabSize = this.task.vocabSize;
    this.tokenizer = this.task.tokenizer;
    this.split = splitExamples(this.task.examples, cfg.trainFraction, cfg.corpusSeed, this.what);
  }

  /** Token names people read (index = id), null when the task has none. */
  get vocabulary(): readonly string[] | null {
    return this.task.vocabulary;
  }

  private permutation(epoch: number): Uint32Array {
    if (this.permCache?.epoch === epoch) return this.permCache.perm;
    const perm = new Uint32Array(this.split.train.length);
    for (let i = 0; i < perm.length; i++) perm[i] = i;
    const r = keyedStream(this.seed, 'data/shuffle', `epoch ${epoch}`);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    this.permCache = { epoch, perm };
    return perm;
  }

  /** The batch of step s (1-based), from the train split. */
  batch(step: number): Batch {
    const { B } = this;
    const train = this.split.train;
    const out = this.emptyBatch();
    for (let b = 0; b < B; b++) {
      const g = (step - 1) * B + b;
      const epoch = Math.floor(g / train.length);
      this.writeRow(out, b, train[this.permutation(epoch)[g % train.length]]);
    }
    return this.counted(out, `the batch of step ${step}`);
  }

  /** Batches that hold a split's examples once each, in ascending order (an evaluation pass). */
  evalBatches(split: SplitName): number {
    return Math.ceil(this.split[split].length / this.B);
  }

  /**
   * Batch i of a split's examples in ascending order; the last batch's rows past the split's
   * end are padding whose targets are all ignored (the metrics count only what a batch counts).
   */
  evalBatch(split: SplitName, i: number): Batch {
    const ids = this.split[split];
    const n = this.evalBatches(split);
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`${split} batch ${i}: the ${split} split has ${n} batches (${ids.length} examples)`);
    const out = this.emptyBatch();
    out.targets.fill(IGNORED_TARGET);
    for (let b = 0; b < this.B && i * this.B + b < ids.length; b++) this.writeRow(out, b, ids[i * this.B + b]);
    return this.counted(out, `${split} batch ${i}`);
  }

  private emptyBatch(): Batch {
    return { inputs: new Int32Array(this.B * this.T), targets: new Int32Array(this.B * this.T) };
  }

  private writeRow(out: Batch, b: number, example: number): void {
    const { T } = this;
    this.task.write(example, out.inputs.subarray(b * T, (b + 1) * T), out.targets.subarray(b * T, (b + 1) * T));
  }

  /** A batch with no counted target has no mean loss: one clear error, never 0/0. */
  private counted(batch: Batch, which: string): Batch {
    if (batch.targets.every((t) => t === IGNORED_TARGET)) {
      throw new ConfigError('data.kind', `${which} of the ${this.what} counts no target: every target is ignored (${IGNORED_TARGET}), and a mean loss over none is undefined`);
    }
    return batch;
  }
}
