// weft in a web page: train a run, record it into memory, read the log back and rebuild a state,
// and sample from it — the engine, the recorder, the writer, the reader and the decoder as Node
// runs them, with the log's bytes in a MemorySink instead of a file. scripts/build-browser.ts
// bundles this file (esbuild) with the shims in ./shims for what Node gives and a page does not
// (files, SHA-256, threads).
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from '../config/config.ts';
import { runTraining } from '../engine/run.ts';
import { Trainer } from '../engine/trainer.ts';
import { MemorySink } from '../log/bytes.ts';
import { openLogBytes } from '../log/reader.ts';
import { makeHeader, Recorder } from '../engine/recorder.ts';
import { LogWriter } from '../log/writer.ts';
import { stateAt } from '../replay/state.ts';
import { modelStateAt, sample, type Sample, type SampleOptions } from '../replay/sample.ts';

export interface PageRun {
  /** the log's bytes */
  log: Uint8Array;
  steps: number;
  /** the state hash of the last step, as the log records it, and as rebuilt from the log's bytes */
  recordedHash: string;
  rebuiltHash: string;
}

/** Trains `over` (on DEFAULT_CONFIG) and records it in memory, then reads the log back. */
export function trainAndRecord(over: DeepPartial<WeftConfig>, scenario = 'page'): PageRun {
  const config = validateConfig(mergeConfig(DEFAULT_CONFIG, over));
  const trainer = new Trainer(config);
  const sink = new MemorySink();
  const header = makeHeader(scenario, config, trainer);
  const recorder = new Recorder(LogWriter.toSink(sink, `${scenario}.weft`, header.format), header, trainer);
  const result = runTraining(trainer, config.steps, [recorder]);
  recorder.finish(result, trainer);
  const log = openLogBytes(sink.bytes(), `${scenario}.weft`);
  try {
    log.verifyAll();
    return { log: sink.bytes(), steps: result.stepsDone, recordedHash: log.readStep(log.lastStep).stateHash, rebuiltHash: stateAt(log, log.lastStep).stateHash };
  } finally {
    log.close();
  }
}

/**
 * What the model writes after `prompt` from a log in memory (a PageRun's, or a log's bytes): the
 * state after step `at` (default: the last) replayed from the bytes, then `sample` — the same
 * tokens and probabilities as Node's `weft sample` for that state, greedy and seeded.
 */
export function sampleFrom(run: PageRun | Uint8Array, prompt: string | readonly number[], options: SampleOptions & { at?: number } = {}): Sample {
  const log = openLogBytes(run instanceof Uint8Array ? run : run.log, 'page.weft');
  try {
    const { at, ...rest } = options;
    return sample(modelStateAt(log, at ?? log.lastStep), prompt, rest);
  } finally {
    log.close();
  }
}
