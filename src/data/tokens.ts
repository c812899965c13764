import { ConfigError } from '../errors.ts';
import { windowCount, writeWindow } from './windows.ts';
import { decodeText, readDataFile, type ReadFile } from './source.ts';
import type { DataConfig, DataFile, Task, TaskKind } from './task.ts';

/** A flat little-endian uint16 token file's ids, each checked below V (the vocabulary size). */
function tokenIds(f: ReadFile, V: number, vocabFrom: string): Int32Array {
  const { key, path } = f.file;
  const b = f.bytes;
  if (b.length % 2 !== 0) throw new ConfigError(key, `${path} has ${b.length} bytes, an odd count: a uint16 token file has 2 bytes per token`);
  const ids = new Int32Array(b.length / 2);
  for (let i = 0; i < ids.length; i++) {
    const id = b[2 * i] | (b[2 * i + 1] << 8);
    if (id >= V) throw new ConfigError(key, `${path}: token ${i} (byte ${2 * i}) is ${id}, not below the vocabulary size ${V} (${vocabFrom})`);
    ids[i] = id;
  }
  return ids;
}

/** A vocabulary file's tokens, one a line (id = line number; a last newline ends the last line). */
function vocabularyLines(f: ReadFile): string[] {
  const lines = decodeText(f).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2 || lines.length > 65536) throw new ConfigError(f.file.key, `${f.file.path} has ${lines.length} lines: a vocabulary of 2…65536 tokens, one a line`);
  return lines;
}

function checkTokens(d: DataConfig): void {
  if (d.path === '') throw new ConfigError('data.path', 'is required for data.kind tokens: the path of a uint16 token file (nanoGPT’s train.bin)');
  if (d.heldOutPath !== '' && d.trainFraction !== 1) throw new ConfigError('data.trainFraction', `the held-out set is data.heldOutPath (${d.heldOutPath}): must be 1 (every window of data.path trains), got ${d.trainFraction}`);
}

/**
 * Language modelling on a token file as nanoGPT's prepare.py writes it (`data.path`: flat
 * little-endian uint16 ids), with the vocabulary size of model.vocabSize or of a vocabulary file
 * (`data.vocabPath`, one token a line). Windows of T+1 tokens as the text kind's. The held-out
 * set is data.heldOutPath's windows (nanoGPT's val.bin) when given, numbered after data.path's;
 * else data.trainFraction's split of data.path's windows.
 */
export const tokens: TaskKind = {
  kind: 'tokens',
  describe: (d) => `token file ${d.path}`,
  words: () => false,
  check: checkTokens,
  build(d, m): Task {
    checkTokens(d);
    // (here, not in check: a scenario's config may get its vocabulary size from --set after it is checked)
    if (m.vocabSize === 0 && d.vocabPath === '') throw new ConfigError('model.vocabSize', 'a token file does not say its vocabulary size: set it (50304 for GPT-2’s tokens as nanoGPT pads them), or data.vocabPath');

    const T = m.contextLength;
    const files: DataFile[] = [];
    let vocab: string[] | null = null;
    if (d.vocabPath !== '') {
      const f = readDataFile('data.vocabPath', d.vocabPath, 'a vocabulary file, one token a line');
      vocab = vocabularyLines(f);
      if (m.vocabSize !== 0 && m.vocabSize < vocab.length) throw new ConfigError('model.vocabSize', `${d.vocabPath} has ${vocab.length} tokens: must be 0 (the file's) or at least ${vocab.length}, got ${m.vocabSize}`);
      files.push(f.file);
    }
    const V = m.vocabSize === 0 ? vocab!.length : m.vocabSize;
    const vocabFrom = m.vocabSize === 0 ? `the lines of ${d.vocabPath}` : 'model.vocabSize';
    const windowsOf = (key: DataFile['key'], path: string) => {
      const f = readDataFile(key, path, 'a uint16 token file');
      const ids = tokenIds(f, V, vocabFrom);
      const windows = windowCount(ids, T);
      if (windows < 1) throw new ConfigError(key, `${path} has ${ids.length} tokens: one window of model.contextLength + 1 = ${T + 1} tokens needs at least ${T + 1}`);
      files.unshift(f.file);
      return { ids, windows };
    };
    const held = d.heldOutPath !== '' ? windowsOf('data.heldOutPath', d.heldOutPath) : null;
    const train = windowsOf('data.path', d.path);
    const examples = train.windows + (held?.windows ?? 0);
    const range = (from: number, to: number) => Uint32Array.from({ length: to - from }, (_, i) => from + i);
    return {
      vocabSize: V,
      vocabulary: vocab,
      tokenizer: null,
      examples,
      oneAnswer: false,
      write(i, inputs, targets) {
        if (i < train.windows) writeWindow(train.ids, T, i, inputs, targets);
        else writeWindow(held!.ids, T, i - train.windows, inputs, targets);
      },
      ...(held ? { split: { train: range(0, train.windows), heldOut: range(train.windows, examples) } } : {}),
      // files in key order: data.path, data.heldOutPath, data.vocabPath
      source: { tokenizer: 'uint16', files, vocab },
    };
  },
};
