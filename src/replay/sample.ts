import type { LogReader } from '../log/reader.ts';
import type { ModelState } from '../engine/sample.ts';
import { stateAt } from './state.ts';

export * from '../engine/sample.ts';

/** The state after step `step` of a log (default: its last), replayed exactly (stateAt), as a model to run. */
export function modelStateAt(log: LogReader, step: number = log.lastStep): ModelState {
  const h = log.header;
  const s = stateAt(log, step);
  return { step, arch: h.config.model.arch, model: { ...h.config.model, vocabSize: h.vocabSize }, dtype: h.dtype, numericMode: h.numericMode, params: s.params, vocab: h.vocab };
}
