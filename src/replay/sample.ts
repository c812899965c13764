import { UsageError } from '../errors.ts';
import { trainBpe } from '../data/bpe.ts';
import { taskFormatOf } from '../data/registry.ts';
import { checkDataFiles, checkSameSource, readDataFile } from '../data/source.ts';
import { bpeCodec, charCodec, wordCodec, type TextCodec } from '../data/text-codec.ts';
import type { LogReader } from '../log/reader.ts';
import type { HeaderRecord } from '../log/records.ts';
import type { ModelState } from '../engine/sample.ts';
import { stateAt } from './state.ts';

export * from '../engine/sample.ts';

/** The codec of a log's text when its header holds it: its word vocabulary, or a char run's characters; null otherwise. */
function headerCodecOf(h: HeaderRecord): TextCodec | null {
  if (h.vocab) return wordCodec(h.vocab);
  if (h.data?.tokenizer === 'char' && h.data.vocab) return charCodec(h.data.vocab);
  return null;
}

/**
 * The state after step `step` of a log (default: its last), replayed exactly (stateAt), as a model
 * to run — with the codec of its text when the header holds one (words, characters), and its
 * task's prompt format and rule when its data kind has one (modular, induction). A BPE
 * run's merges are not in the header: textCodecOf reads them from its file.
 */
export function modelStateAt(log: LogReader, step: number = log.lastStep): ModelState {
  const h = log.header;
  const s = stateAt(log, step);
  const model = { ...h.config.model, vocabSize: h.vocabSize };
  return { step, arch: h.config.model.arch, model, dtype: h.dtype, numericMode: h.numericMode, params: s.params, vocab: h.vocab, codec: headerCodecOf(h), task: taskFormatOf(h.config.data, model) };
}

/**
 * How a log's text becomes its tokens and back (null for a run on token ids): its words or
 * characters from the header; a BPE run's merges trained again on its data.path file (or
 * `dataPath`, a moved copy) — the file checked by SHA-256 first, a missing or changed one a
 * UsageError naming both hashes, and the merges' tokens checked against the header's.
 */
export function textCodecOf(log: LogReader, dataPath?: string): TextCodec | null {
  const h = log.header;
  const d = h.data;
  if (!(d?.tokenizer === 'bpe' && d.vocab)) return headerCodecOf(h);
  const config = checkDataFiles(d, h.config, dataPath);
  const file = readDataFile('data.path', config.data.path, 'a UTF-8 text file');
  checkSameSource(d, { ...d, files: [file.file] });
  // training is greedy, one merge after another: to the log's token count it makes the log's merges
  const bpe = trainBpe(file.bytes, d.vocab.length);
  const other = d.vocab.findIndex((name, i) => bpe.names[i] !== name);
  if (other >= 0 || bpe.names.length !== d.vocab.length) throw new UsageError(`${config.data.path}: its byte-level BPE trained again is not the log's (token ${other >= 0 ? other : bpe.names.length} differs)`);
  return bpeCodec(bpe.merges, d.vocab);
}
