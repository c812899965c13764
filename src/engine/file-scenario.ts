import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from '../config/config.ts';
import { Dataset } from '../data/dataset.ts';
import type { Scenario } from './scenario.ts';

/** A path `weft run` takes as a user's data rather than a scenario: a text file or a uint16 token file. */
export const DATA_FILE = /\.(txt|bin)$/;

/** The data kinds read from a user's file (data.path), as `weft run ./file` makes them. */
export const FILE_DATA_KINDS: readonly string[] = ['text', 'tokens'];

/** Evaluation batches per split at most, so that a large file's evaluation costs a few steps, not an epoch. */
const EVAL_BATCHES_MAX = 8;

/** The scenario name a run on a file gets (its header's `scenario`): the file's stem, lower-cased, in [a-z0-9-]. */
export function fileScenarioName(path: string): string {
  return basename(path).replace(DATA_FILE, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'data';
}

/**
 * `weft run ./my.txt` (or `train.bin`): the built-in baseline scenario's (`baseline`) settings — its model,
 * optimizer, steps, recording and expectation — on the file: a `.txt` as data.kind text with the
 * char tokenizer, its vocabulary the file's (model.vocabSize 0), a tenth of its windows held out
 * (data.trainFraction 0.9) and evaluated every 20 steps on at most 8 batches; a `.bin` as
 * data.kind tokens, every window training (model.vocabSize, data.heldOutPath from --set). The
 * path is kept as given, never made absolute.
 */
export function fileScenario(path: string, baseline: Scenario): Scenario {
  const text = path.endsWith('.txt');
  const over: DeepPartial<WeftConfig> = {
    model: { vocabSize: 0 },
    data: text ? { kind: 'text', path, trainFraction: 0.9 } : { kind: 'tokens', path },
  };
  let config = validateConfig(mergeConfig(baseline.config, over));
  // (a file gone since its run — resumed with --data, which continues as logged — is read by nothing here;
  // a new run on it stops at its Trainer with the file named)
  if (text && existsSync(path)) {
    const m = config.model;
    const available = new Dataset(config.data, m.vocabSize, m.contextLength, config.seed).evalBatches('heldOut');
    config = validateConfig(mergeConfig(config, { eval: { every: 20, batches: Math.min(EVAL_BATCHES_MAX, available) } }));
  }
  const name = fileScenarioName(path);
  return {
    name,
    description: `The baseline scenario's settings on ${path} (${text ? 'text, char tokenizer, a tenth held out' : 'uint16 tokens'}).`,
    config,
    expectations: baseline.expectations,
    file: resolve(path),
  };
}
