import { ConfigError } from '../errors.ts';
import { keyedStream } from '../rng/keyed.ts';
import { storyCorpusText } from './story.ts';
import { Tokenizer } from './tokenizer.ts';

export interface DataConfig {
  corpus: 'story' | 'random';
  batchSize: number;
  /** Generated story sentences on top of the story's own (story corpus). */
  sentences: number;
  /** Seed of the corpus itself, apart from the run seed, so runs of different seeds share data. */
  corpusSeed: number;
  /** Tokens in the random corpus. */
  randomTokens: number;
}

export interface Batch {
  inputs: Int32Array; // (B,T)
  targets: Int32Array; // (B,T), inputs shifted by one
}

/**
 * A token stream cut into non-overlapping windows of T+1 tokens, visited in a shuffled order per
 * epoch (stream `data/shuffle/epoch e`). Batching is stateless: the batch of step s is a pure
 * function of s, so the data cursor after step N is just N.
 */
export class Dataset {
  readonly tokens: Int32Array;
  readonly tokenizer: Tokenizer | null;
  readonly vocabSize: number;
  readonly windows: number;
  private readonly T: number;
  private readonly B: number;
  private readonly seed: number;
  private permCache: { epoch: number; perm: Uint32Array } | null = null;

  constructor(cfg: DataConfig, vocabSize: number, T: number, seed: number) {
    this.T = T;
    this.B = cfg.batchSize;
    this.seed = seed;
    if (cfg.corpus === 'story') {
      const texts = storyCorpusText(cfg.corpusSeed, cfg.sentences);
      this.tokenizer = Tokenizer.fromTexts(texts, vocabSize);
      this.vocabSize = vocabSize > 0 ? vocabSize : this.tokenizer.size;
      this.tokens = Int32Array.from(texts.flatMap((t) => this.tokenizer!.encode(t)));
    } else {
      this.tokenizer = null;
      this.vocabSize = vocabSize;
      const r = keyedStream(cfg.corpusSeed, 'data/random');
      this.tokens = new Int32Array(cfg.randomTokens);
      for (let i = 0; i < this.tokens.length; i++) this.tokens[i] = r.int(vocabSize);
    }
    this.windows = Math.floor((this.tokens.length - 1) / T);
    if (this.windows < 1) throw new ConfigError('model.contextLength', `${T} needs windows of ${T + 1} tokens; the ${cfg.corpus} corpus has ${this.tokens.length}`);
  }

  private permutation(epoch: number): Uint32Array {
    if (this.permCache?.epoch === epoch) return this.permCache.perm;
    const perm = new Uint32Array(this.windows);
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

  /** The batch of step s (1-based). */
  batch(step: number): Batch {
    const { B, T } = this;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const g = (step - 1) * B + b;
      const epoch = Math.floor(g / this.windows);
      const start = this.permutation(epoch)[g % this.windows] * T;
      for (let t = 0; t < T; t++) {
        inputs[b * T + t] = this.tokens[start + t];
        targets[b * T + t] = this.tokens[start + t + 1];
      }
    }
    return { inputs, targets };
  }
}
