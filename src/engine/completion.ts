import { ConfigError, UsageError } from '../errors.ts';
import type { Dtype, FloatArray } from '../kernels/types.ts';
import { bytesOf, viewAs } from '../log/format.ts';
import type { CompletionRecord } from '../log/records.ts';
import type { ModelConfig } from '../model/params.ts';
import { checkSample, sample, type ModelState } from './sample.ts';

/** Tokens of each prompt's greedy continuation a completion probe records. */
export const COMPLETION_TOKENS = 8;
/** Entries of the next-token distribution (after the prompt) a completion probe records. */
export const COMPLETION_TOP = 5;

/** A completion probe as read: the prompt's ids, its greedy continuation, and the likeliest next tokens with their probabilities. */
export interface Completion {
  ids: number[];
  tokens: number[];
  top: { id: number; probability: number }[];
}

/**
 * Completion probes: each prompt's greedy continuation and next-token distribution with the
 * trainer's weights, computed by `sample` itself (one thread, dropout off) — the same tokens and
 * bits `weft sample --at N --prompt P --tokens 8` prints. It reads the weights, writes nothing of
 * training's.
 */
export class Completer {
  readonly prompts: string[];
  private readonly state: Omit<ModelState, 'params' | 'step'>;

  constructor(cfg: ModelConfig, dtype: Dtype, numericMode: string, vocab: readonly string[] | null, prompts: string[]) {
    this.prompts = prompts;
    this.state = { arch: cfg.arch, model: cfg, dtype, numericMode, vocab };
    prompts.forEach((p, i) => {
      try {
        const { unknown } = checkSample(this.state, p, { tokens: COMPLETION_TOKENS });
        if (unknown.length) throw new UsageError(`its words ${unknown.map((w) => JSON.stringify(w)).join(', ')} are not in the run's vocabulary`);
      } catch (e) {
        if (e instanceof UsageError) throw new ConfigError(`probe.prompts`, `prompt ${i + 1} (${JSON.stringify(p)}): ${e.message.replace(/^--prompt:? ?/, '')}`);
        throw e;
      }
    });
  }

  /** Each prompt's completion with these weights. */
  complete(params: FloatArray, step: number): Completion[] {
    const state: ModelState = { ...this.state, params, step };
    return this.prompts.map((p) => {
      const s = sample(state, p, { tokens: COMPLETION_TOKENS, alternatives: COMPLETION_TOP, threads: 1 });
      return { ids: s.prompt.ids, tokens: s.generated.map((g) => g.id), top: s.generated[0].top.map((t) => ({ id: t.id, probability: t.probability })) };
    });
  }
}

/** A completion as stored in a probe record. */
export function encodeCompletion(c: Completion): CompletionRecord {
  return {
    ids: bytesOf(Int32Array.from(c.ids)),
    tokens: bytesOf(Int32Array.from(c.tokens)),
    top: bytesOf(Int32Array.from(c.top.map((t) => t.id))),
    probabilities: bytesOf(Float64Array.from(c.top.map((t) => t.probability))),
  };
}

/** A stored completion read back. */
export function decodeCompletion(r: CompletionRecord): Completion {
  const top = Array.from(viewAs(r.top, Int32Array));
  const p = viewAs(r.probabilities, Float64Array);
  return { ids: Array.from(viewAs(r.ids, Int32Array)), tokens: Array.from(viewAs(r.tokens, Int32Array)), top: top.map((id, i) => ({ id, probability: p[i] })) };
}
