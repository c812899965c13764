import type { HeaderRecord } from '../log/records.ts';
import type { ContributedFrom, RecordContributor, StartRecord } from './contributor.ts';
import { EvalRecords, Evaluator } from './evaluation.ts';
import { Prober, ProbeRecords } from './probe.ts';
import { Completer } from './completion.ts';
import type { Trainer } from './trainer.ts';

/** The kinds of record a run's config adds to its log beside the steps. */
export type ContributedKind = 'probe' | 'eval';

/**
 * What a run's config adds to its log beside the steps, each with the steps it is due at (the
 * start step and every `every` steps; the last step too, unless interrupted): attention probes
 * (config.probe) and evaluations (config.eval). Resume and fork keep what is due and no more.
 */
export function contributedSchedule(h: HeaderRecord): { kind: ContributedKind; due: (step: number) => boolean }[] {
  const every = (kind: ContributedKind, n: number) => ({ kind, due: (step: number) => step % n === 0 || step === h.startStep });
  return [
    ...(h.config.probe ? [every('probe', h.config.probe.every)] : []),
    ...(h.config.eval ? [every('eval', h.config.eval.every)] : []),
  ];
}

/** The contributors of a run's log; `start(kind)`: whether each one's record at the start step is to be written, present or not due. */
export function contributorsOf(h: HeaderRecord, trainer: ContributedFrom & Pick<Trainer, 'modelConfig' | 'data'>, start: (kind: ContributedKind) => StartRecord): RecordContributor[] {
  const out: RecordContributor[] = [];
  const p = h.config.probe;
  if (p) {
    // (a header being written holds the canonical config: no prompts key when there are none)
    const prompts = p.prompts ?? [];
    const completer = prompts.length ? new Completer(trainer.modelConfig, h.dtype, h.numericMode, h.vocab, prompts) : null;
    out.push(new ProbeRecords(new Prober(trainer.modelConfig, h.dtype, h.numericMode, h.vocab, p.sentences), p.every, start('probe'), completer));
  }
  const e = h.config.eval;
  if (e) out.push(new EvalRecords(new Evaluator(trainer.modelConfig, h.dtype, h.numericMode, trainer.data, e), e.every, start('eval')));
  return out;
}
