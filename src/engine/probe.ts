import { ConfigError } from '../errors.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { kernelsFor } from '../kernels/registry.ts';
import type { Dtype, FloatArray } from '../kernels/types.ts';
import { bytesOf } from '../log/format.ts';
import type { ProbeRecord } from '../log/records.ts';
import { architectureOf, type Model } from '../model/model.ts';
import type { ModelConfig } from '../model/params.ts';
import type { Completer } from './completion.ts';
import { encodeCompletion } from './completion.ts';
import type { ContributedFrom, RecordContributor, StartRecord } from './contributor.ts';

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
  private readonly models: Model[];

  /**
   * `ids`: token sequences to read instead of sentences (a task without words: its own
   * sequences, e.g. the induction task's; `sentences` then only names them).
   */
  constructor(cfg: ModelConfig, dtype: Dtype, numericMode: string, vocab: readonly string[] | null, sentences: string[], ids?: Int32Array[]) {
    this.sentences = sentences;
    if (ids) {
      this.ids = ids.map((s) => s.slice(0, cfg.contextLength));
      const short = this.ids.findIndex((s) => s.length < 2);
      if (short >= 0) throw new ConfigError('probe', `sequence ${short + 1} has fewer than two tokens`);
    } else {
      if (!vocab) throw new ConfigError('probe', 'attention probes need words: a run on the story corpus (data.corpus story)');
      const tok = new Tokenizer(vocab);
      this.ids = sentences.map((s) => Int32Array.from(tok.encode(s).slice(0, cfg.contextLength)));
      const short = this.ids.findIndex((s) => s.length < 2);
      if (short >= 0) throw new ConfigError('probe.sentences', `sentence ${short + 1} has fewer than two words`);
    }
    const kernels = kernelsFor(numericMode, undefined, 1);
    const arch = architectureOf(cfg.arch);
    this.models = this.ids.map((ids) => arch.create(cfg, kernels, dtype, 1, ids.length));
    // the architecture's attention read-out: what a probe reads
    const shape = this.models[0]?.attentionShape;
    if (!shape || !this.models[0].attentionWeights) throw new ConfigError('probe', `attention probes read a model's heads: the ${arch.name} architecture has no attention read-out`);
    this.nLayers = shape.layers;
    this.nHeads = shape.heads;
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
          const att = model.attentionWeights!(l, h);
          for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) out[probeIndex(T, this.nHeads, l, h, q, k)] = att[q * T + k];
        }
      }
      return out;
    });
  }
}

/**
 * A run's attention probes as records for its log (config.probe): at the start step, every
 * `every` completed steps, and at the last step unless the run was interrupted (a resumed run
 * must write what an uninterrupted one does). The recorder writes them where they are due.
 */
export class ProbeRecords implements RecordContributor {
  readonly kind = 'probe';
  private readonly prober: Prober;
  private readonly every: number;
  private lastProbe = -1;
  private readonly start: StartRecord;
  private readonly completer: Completer | null;

  /** `completer`: the completion probes (config.probe.prompts), written into the same records; none without prompts. */
  constructor(prober: Prober, every: number, start: StartRecord, completer: Completer | null = null) {
    this.prober = prober;
    this.every = every;
    this.start = start;
    this.completer = completer;
  }

  private probe(t: ContributedFrom): ProbeRecord[] {
    const attention = this.prober.attention(t.state.params);
    this.lastProbe = t.stepsDone;
    const r: ProbeRecord = { kind: 'probe', step: t.stepsDone, ids: this.prober.ids.map(bytesOf), attention: attention.map(bytesOf) };
    // absent, not empty, without prompts: such a record keeps every byte it had before prompts existed
    if (this.completer) r.completions = this.completer.complete(t.state.params, t.stepsDone).map(encodeCompletion);
    return [r];
  }

  atStart(t: ContributedFrom): ProbeRecord[] {
    if (this.start === 'write') return this.probe(t);
    if (this.start === 'present') this.lastProbe = t.stepsDone;
    return [];
  }

  afterStep(t: ContributedFrom): ProbeRecord[] {
    return t.stepsDone % this.every === 0 ? this.probe(t) : [];
  }

  atFinish(t: ContributedFrom, result: { reason: string }): ProbeRecord[] {
    return result.reason !== 'interrupted' && this.lastProbe !== t.stepsDone ? this.probe(t) : [];
  }
}
