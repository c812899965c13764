import { ConfigError } from '../errors.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { kernelsFor } from '../kernels/registry.ts';
import type { Dtype, FloatArray } from '../kernels/types.ts';
import { GPT } from '../model/gpt.ts';
import type { ModelConfig } from '../model/params.ts';

/** Where a sentence's probe of length T keeps layer l, head h, query q, key k ≤ q (lower triangles, row by row). */
export function probeIndex(T: number, nHeads: number, l: number, h: number, q: number, k: number): number {
  const tri = (T * (T + 1)) / 2;
  return (l * nHeads + h) * tri + (q * (q + 1)) / 2 + k;
}

/**
 * Attention probes: each probe sentence run through a model of its own (batch 1, its length, one
 * thread, memory apart from the trainer's) with the trainer's weights and dropout off, and every
 * layer's and head's attention read out. It reads the weights and writes nothing of training's:
 * probing changes no bit of a run.
 */
export class Prober {
  readonly sentences: string[];
  readonly ids: Int32Array[];
  readonly nLayers: number;
  readonly nHeads: number;
  private readonly models: GPT[];

  constructor(cfg: ModelConfig, dtype: Dtype, numericMode: string, arch: string, vocab: readonly string[] | null, sentences: string[]) {
    if (!vocab) throw new ConfigError('probe', 'attention probes need words: a run on the story corpus (data.corpus story)');
    if (arch !== 'gpt') throw new ConfigError('probe', `attention probes read the gpt architecture's heads, not ${arch}'s`);
    const tok = new Tokenizer(vocab);
    this.sentences = sentences;
    this.ids = sentences.map((s) => Int32Array.from(tok.encode(s).slice(0, cfg.contextLength)));
    const short = this.ids.findIndex((ids) => ids.length < 2);
    if (short >= 0) throw new ConfigError('probe.sentences', `sentence ${short + 1} has fewer than two words`);
    this.nLayers = cfg.nLayers;
    this.nHeads = cfg.nHeads;
    const kernels = kernelsFor(numericMode, undefined, 1);
    this.models = this.ids.map((ids) => new GPT(cfg, kernels, dtype, 1, ids.length));
  }

  /** Each sentence's attention (probeIndex's layout), with these weights. */
  attention(params: FloatArray): Float64Array[] {
    return this.models.map((model, s) => {
      const ids = this.ids[s];
      const T = ids.length;
      model.params.set(params);
      model.forward(ids, ids, null); // the targets do not matter: only the attention is read
      const out = new Float64Array(((this.nLayers * this.nHeads * T * (T + 1)) / 2));
      for (let l = 0; l < this.nLayers; l++) {
        for (let h = 0; h < this.nHeads; h++) {
          const att = model.attentionWeights(l, h);
          for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) out[probeIndex(T, this.nHeads, l, h, q, k)] = att[q * T + k];
        }
      }
      return out;
    });
  }
}
