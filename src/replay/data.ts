import type { WeftConfig } from '../config/config.ts';
import type { LoggedBatches } from '../data/dataset.ts';
import { checkDataFiles, checkSameSource } from '../data/source.ts';
import { Trainer, type TrainerOptions } from '../engine/trainer.ts';
import type { LogReader } from '../log/reader.ts';
import type { HeaderRecord } from '../log/records.ts';
import { stepView } from '../log/steps.ts';

/**
 * A run on a user's files re-executed from its own step records' batches (replay of a summary
 * log, the viewer's step drill-down): they need none of its files, which may have moved or gone.
 * Undefined for the other kinds, whose data weft makes itself. The re-executed state is checked
 * against the recorded hash as always.
 */
export function loggedBatchesOf(log: LogReader): LoggedBatches | undefined {
  const h = log.header;
  if (!h.data) return undefined;
  const n = h.config.data.batchSize * h.config.model.contextLength;
  return {
    vocabSize: h.vocabSize,
    batch(step) {
      const v = stepView(log.readStep(step));
      if (v.inputs.length !== n || v.targets.length !== n) throw log.corrupt('step', step, `its batch holds ${v.inputs.length} inputs and ${v.targets.length} targets, not batch × context = ${n}`);
      return { inputs: Int32Array.from(v.inputs), targets: Int32Array.from(v.targets) };
    },
  };
}

/**
 * A trainer that re-reads a log's data (verify, --resume): the files of the header's data checked
 * by hash first (`dataPath`: `--data`, a moved copy of data.path), and what was read after — a
 * missing or changed file is one line naming it and both hashes (exit 2), never other numbers.
 */
export function trainerOnLoggedData(h: HeaderRecord, config: WeftConfig, opts: TrainerOptions, dataPath?: string): Trainer {
  const t = new Trainer(checkDataFiles(h.data, config, dataPath), opts);
  checkSameSource(h.data, t.data.task.source);
  return t;
}
