import { UsageError } from '../errors.ts';
import { UNK } from '../data/tokenizer.ts';
import { decodeCompletion } from '../engine/completion.ts';
import type { LogReader } from '../log/reader.ts';
import { wordsToText } from './sample.ts';

/** One prompt's completion probe at one step, in words. */
export interface CompletionAt {
  step: number;
  tokens: number[];
  /** the greedy continuation, as text */
  continuation: string;
  /** the likeliest next tokens after the prompt, likeliest first */
  top: { id: number; word: string; probability: number }[];
}

/** How one prompt's completion changed through training. */
export interface CompletionTrack {
  prompt: string;
  ids: number[];
  /** one entry per probe step, in step order */
  steps: CompletionAt[];
  /** the continuation at the last probe step */
  final: string;
  /** the first probe step whose continuation was the final one */
  firstFinalStep: number;
  /** the probe step from which on the continuation stayed the final one */
  finalSince: number;
}

/**
 * Each prompt's completions through training, read from the log's probe records (config.probe.prompts):
 * no replay, the recorded tokens and probabilities themselves. A log without them is a UsageError
 * saying how to record them.
 */
export function completionTracks(log: LogReader): CompletionTrack[] {
  const h = log.header;
  const prompts = h.config.probe?.prompts ?? [];
  const probes = prompts.length ? log.readProbes().filter((p) => p.completions) : [];
  if (!probes.length) {
    // completion probes read their prompts as words: a run without a word vocabulary cannot record them
    const how = h.vocab ? ` (record them with --set 'probe.prompts=["The scientists published their"]')` : ` (they need a run on words; sample a step instead: weft sample ${log.path} --at N --prompt …)`;
    throw new UsageError(`${log.path}: no completion probes${how}`);
  }
  const word = (id: number) => (h.vocab ? h.vocab[id] ?? UNK : String(id));
  return prompts.map((prompt, i) => {
    const steps = probes.map((p): CompletionAt => {
      const c = decodeCompletion(p.completions![i]);
      return { step: p.step, tokens: c.tokens, continuation: wordsToText(c.tokens.map(word)), top: c.top.map((t) => ({ id: t.id, word: word(t.id), probability: t.probability })) };
    });
    const final = steps[steps.length - 1].continuation;
    let since = steps.length - 1;
    while (since > 0 && steps[since - 1].continuation === final) since--;
    return {
      prompt,
      ids: decodeCompletion(probes[0].completions![i]).ids,
      steps,
      final,
      firstFinalStep: steps.find((s) => s.continuation === final)!.step,
      finalSince: steps[since].step,
    };
  });
}

/** A track as lines: the steps where the continuation changed (and the last), then when it reached its final words. */
export function formatCompletionTrack(t: CompletionTrack): string {
  const w = String(t.steps[t.steps.length - 1].step).length;
  const lines = [`"${t.prompt}" — greedy, ${t.steps[0].tokens.length} words, at ${t.steps.length} probe steps (a step is shown where the words changed)`];
  t.steps.forEach((s, i) => {
    if (i === 0 || i === t.steps.length - 1 || s.continuation !== t.steps[i - 1].continuation) {
      const p = s.top[0];
      lines.push(`  step ${String(s.step).padStart(w)}: ${s.continuation}   (next: ${p.word} ${p.probability.toFixed(3)})`);
    }
  });
  lines.push(t.firstFinalStep === t.finalSince
    ? `  its final words first at step ${t.firstFinalStep}, unchanged since`
    : `  its final words first at step ${t.firstFinalStep}, and for good from step ${t.finalSince}`);
  return lines.join('\n');
}
