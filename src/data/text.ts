import { ConfigError } from '../errors.ts';
import { windowCount, writeWindow } from './windows.ts';
import { decodeText, readDataFile } from './source.ts';
import type { DataConfig, Task, TaskKind, TaskModel } from './task.ts';
import { Tokenizer } from './tokenizer.ts';
import { trainBpe } from './bpe.ts';

/** The char tokenizer's vocabulary: the file's distinct characters (code points), sorted by code point — nanoGPT's shakespeare_char `sorted(set(data))`. */
export function charVocabulary(chars: readonly string[]): string[] {
  return [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/** The byte-level BPE's vocabulary when model.vocabSize says 0: the 256 bytes and 256 merges. */
const BPE_DEFAULT_VOCAB = 512;

/** Tokens of a text by a tokenizer, its vocabulary, and the word tokenizer when it is one. */
function tokenize(text: string, bytes: Uint8Array, d: DataConfig, m: TaskModel): { tokens: Int32Array; vocab: string[]; words: Tokenizer | null; note?: string } {
  if (d.tokenizer === 'bpe') {
    if (m.vocabSize !== 0 && m.vocabSize < 256) throw new ConfigError('model.vocabSize', `a byte-level BPE has the 256 byte tokens and its merges: must be 0 (${BPE_DEFAULT_VOCAB}) or at least 256, got ${m.vocabSize}`);
    const bpe = trainBpe(bytes, m.vocabSize || BPE_DEFAULT_VOCAB);
    return { tokens: bpe.tokens, vocab: bpe.names, words: null };
  }
  if (d.tokenizer === 'word') {
    const all = Tokenizer.fromTexts([text], 0);
    const tok = m.vocabSize > 0 && m.vocabSize < all.size ? new Tokenizer(all.vocab.slice(0, m.vocabSize)) : all;
    // a cap the user may not have chosen (--model tiny sets V 64): said, not silent
    const note = tok === all ? undefined : `${d.path} has ${(all.size - 1).toLocaleString('en-US')} distinct words: V ${m.vocabSize} keeps the ${(m.vocabSize - 1).toLocaleString('en-US')} commonest, the rest read as <unk> (--set model.vocabSize=0 keeps them all)`;
    return { tokens: Int32Array.from(tok.encode(text)), vocab: [...tok.vocab], words: tok, note };
  }
  const chars = Array.from(text);
  const vocab = charVocabulary(chars);
  if (m.vocabSize !== 0 && m.vocabSize < vocab.length) throw new ConfigError('model.vocabSize', `${d.path} has ${vocab.length} distinct characters: must be 0 (the file's) or at least ${vocab.length}, got ${m.vocabSize}`);
  if (vocab.length < 2) throw new ConfigError('data.path', `${d.path} has ${vocab.length} distinct character: a model needs at least 2 tokens`);
  const ids = new Map(vocab.map((c, i) => [c, i]));
  return { tokens: Int32Array.from(chars, (c) => ids.get(c)!), vocab, words: null };
}

/**
 * Language modelling on a UTF-8 text file of the user's (`data.path`), tokenized by
 * `data.tokenizer`: `char` (every distinct character a token, as nanoGPT's shakespeare_char),
 * `word` (the story's word tokenizer: V from the file's words when the model says 0, the rarest
 * as <unk> under a cap) or `bpe` (byte-level BPE trained on the file's bytes to model.vocabSize
 * tokens, 512 when it says 0, as minbpe does: bpe.ts). As the corpus kind, the tokens are cut into windows of T+1 tokens —
 * example i starts at token i·T — and every next-token target counts. The file's identity and
 * its vocabulary go into the log header (Task.source).
 */
export const text: TaskKind = {
  kind: 'text',
  describe: (d) => `text file ${d.path} (${d.tokenizer})`,
  words: (d) => d.tokenizer === 'word',
  check(d) {
    if (d.path === '') throw new ConfigError('data.path', 'is required for data.kind text: the path of a UTF-8 text file');
  },
  build(d, m): Task {
    const T = m.contextLength;
    const file = readDataFile('data.path', d.path, 'a UTF-8 text file');
    const { tokens, vocab, words, note } = tokenize(decodeText(file), file.bytes, d, m);
    const windows = windowCount(tokens, T);
    if (windows < 1) throw new ConfigError('data.path', `${d.path} has ${tokens.length} tokens (${d.tokenizer}): one window of model.contextLength + 1 = ${T + 1} tokens needs at least ${T + 1}`);
    return {
      vocabSize: m.vocabSize === 0 ? vocab.length : m.vocabSize,
      vocabulary: vocab,
      tokenizer: words,
      examples: windows,
      oneAnswer: false,
      write: (i, inputs, targets) => writeWindow(tokens, T, i, inputs, targets),
      // the word vocabulary is the header's `vocab` already (it serves probes too)
      source: { tokenizer: d.tokenizer, files: [file.file], vocab: words ? null : vocab },
      note,
    };
  },
};
