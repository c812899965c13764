// The user-file data kinds: `text` (a UTF-8 file, char or word tokens) and `tokens` (nanoGPT's
// uint16 train.bin / val.bin): their tokens, windows and vocabulary, a model trained on a small
// generated text, held-out windows that no training batch holds (by content), the header's data
// identity, and replay of a summary log from its own batches with the file gone.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { decodeTokens, firstInvalidUtf8, sha256Hex } from '../../src/data/source.ts';
import { charVocabulary } from '../../src/data/text.ts';
import { Evaluator } from '../../src/engine/evaluation.ts';
import { Recorder } from '../../src/engine/recorder.ts';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { openLog } from '../../src/log/reader.ts';
import { stepView } from '../../src/log/steps.ts';
import { stateAt } from '../../src/replay/state.ts';
import { tempDir } from '../log/helpers.ts';

/** A text of `n` words from a small lexicon, by a fixed LCG (the test's own data, not weft's). */
function generatedText(n: number, seed = 7): string {
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'far', 'up', 'hill', 'sun', 'rose', 'early'];
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(words[x % words.length]);
    if (x % 9 === 0) out.push('.\n');
  }
  return out.join(' ');
}

const SMALL: DeepPartial<WeftConfig> = { model: { nLayers: 1, nHeads: 2, dModel: 16, dFF: 32, vocabSize: 0, contextLength: 8, dropout: 0 }, data: { batchSize: 4 } };

function textConfig(path: string, extra: DeepPartial<WeftConfig> = {}): WeftConfig {
  return validateConfig(mergeConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, SMALL), { data: { kind: 'text', path } }), extra));
}

/** A row of a batch as text: its T inputs and its last target, by the header-style decoder. */
function rowText(inputs: Int32Array, targets: Int32Array, b: number, T: number, vocab: readonly string[]): string {
  return [...inputs.subarray(b * T, (b + 1) * T), targets[(b + 1) * T - 1]].map((i) => vocab[i]).join('');
}

describe('data.kind text', () => {
  it('char: the vocabulary is the sorted distinct characters (code points, as Python sorts them), and example i is tokens i·T … i·T+T', () => {
    expect(charVocabulary(Array.from('banana 😀é\n'))).toEqual(['\n', ' ', 'a', 'b', 'n', 'é', '😀']);
    const dir = tempDir();
    const file = join(dir, 'abc.txt');
    const text = 'hello, wörld 😀! '.repeat(4);
    writeFileSync(file, text);
    const d = new Dataset(textConfig(file).data, 0, 8, 1);
    const vocab = charVocabulary(Array.from(text));
    expect(d.vocabSize).toBe(vocab.length);
    expect(d.vocabulary).toEqual(vocab);
    const chars = Array.from(text);
    expect(d.task.examples).toBe(Math.floor((chars.length - 1) / 8));
    const inputs = new Int32Array(8);
    const targets = new Int32Array(8);
    d.task.write(2, inputs, targets);
    expect(Array.from(inputs, (i) => vocab[i]).join('')).toBe(chars.slice(16, 24).join(''));
    expect(Array.from(targets, (i) => vocab[i]).join('')).toBe(chars.slice(17, 25).join(''));
    // the identity the header gets: the path as given, the bytes, their SHA-256, the tokenizer and the characters
    expect(d.task.source).toEqual({ tokenizer: 'char', files: [{ key: 'data.path', path: file, bytes: Buffer.byteLength(text), sha256: sha256Hex(Buffer.from(text)) }], vocab });
  });

  it('word: the story tokenizer on the file (lower-cased words and marks, by frequency), its vocabulary the header word vocabulary (probes read it)', () => {
    const dir = tempDir();
    const file = join(dir, 'w.txt');
    writeFileSync(file, 'The cat sat. The cat ran! A dog sat on the mat, the end.');
    const d = new Dataset(textConfig(file, { data: { tokenizer: 'word' } }).data, 0, 4, 1);
    expect(d.vocabulary!.slice(0, 4)).toEqual(['<unk>', 'the', '.', 'cat']);
    expect(d.tokenizer).not.toBeNull();
    expect(d.task.source!.tokenizer).toBe('word');
    expect(d.task.source!.vocab).toBeNull(); // it is header.vocab
    const t = new Trainer(textConfig(file, { data: { tokenizer: 'word' }, model: { contextLength: 4 } }));
    expect(t.vocab).toEqual(d.vocabulary);
  });

  it('a model trained on a small generated text: its loss falls, held-out loss differs from training loss, and no training batch holds a held-out window (by content)', () => {
    const dir = tempDir();
    const file = join(dir, 'gen.txt');
    writeFileSync(file, generatedText(300));
    const config = textConfig(file, { steps: 150, data: { trainFraction: 0.8 }, optim: { lr: 0.01 } });
    const t = new Trainer(config);
    const T = config.model.contextLength;
    const vocab = t.data.vocabulary!;
    const { train, heldOut } = t.data.split;
    expect(heldOut.length).toBe(t.data.task.examples - Math.floor(0.8 * t.data.task.examples));
    // every row a training batch holds over the run (several epochs), by its text
    const losses: number[] = [];
    const trainedRows = new Set<string>();
    runTraining(t, config.steps, [{
      onStep: (rec) => {
        losses.push(rec.loss);
        for (let b = 0; b < config.data.batchSize; b++) trainedRows.add(rowText(rec.inputs, rec.targets, b, T, vocab));
      },
    }]);
    expect(config.steps * config.data.batchSize).toBeGreaterThan(2 * train.length); // beyond an epoch: every training window was seen
    const trainTexts = new Set(Array.from(train, (i) => exampleText(t, i, T, vocab)));
    expect(trainedRows).toEqual(trainTexts);
    // held-out windows whose text is no training window's (a repeat in the file would be both): none was in a batch
    const heldOutOnly = Array.from(heldOut, (i) => exampleText(t, i, T, vocab)).filter((r) => !trainTexts.has(r));
    expect(heldOutOnly.length).toBeGreaterThan(0.5 * heldOut.length);
    expect(heldOutOnly.filter((r) => trainedRows.has(r))).toEqual([]);
    expect(Array.from(heldOut).filter((i) => train.includes(i))).toHaveLength(0);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 0.5);
    const e = new Evaluator(t.modelConfig, config.dtype, t.numericMode, t.data, { every: 1, batches: 0 }).evaluate(t.params, t.stepsDone);
    expect(e.heldOut.examples).toBe(heldOut.length);
    expect(Number.isFinite(e.heldOut.loss) && Number.isFinite(e.train.loss)).toBe(true);
    expect(e.heldOut.loss).not.toBe(e.train.loss);
  });

  it('the log header names the file by content and its characters; a summary log replays from its own batches with the file gone', () => {
    const dir = tempDir();
    const file = join(dir, 'gone.txt');
    const text = generatedText(400, 3);
    writeFileSync(file, text);
    const config = textConfig(file, { steps: 6, record: { mode: 'summary', keyframeEvery: 100 }, model: { dropout: 0.1 } });
    const out = join(dir, 'gone.weft');
    const t = new Trainer(config);
    const rec = Recorder.create(out, 'gone', config, t);
    const r = runTraining(t, config.steps, [rec]);
    rec.finish(r, t);
    const hashAt6 = t.stateHash();
    rmSync(file);
    const log = openLog(out);
    try {
      const h = log.header;
      expect(h.data).toEqual({ tokenizer: 'char', files: [{ key: 'data.path', path: file, bytes: Buffer.byteLength(text), sha256: sha256Hex(Buffer.from(text)) }], vocab: charVocabulary(Array.from(text)) });
      expect(h.vocab).toBeNull();
      // every batch decodes, by the header alone, to text of the file
      for (const n of log.stepNumbers) {
        const v = stepView(log.readStep(n));
        const T = config.model.contextLength;
        for (let b = 0; b < config.data.batchSize; b++) expect(text).toContain(decodeTokens(h, v.inputs.subarray(b * T, (b + 1) * T)));
      }
      // summary mode: the state at step 6 is re-executed from the keyframe at 0, on the recorded batches
      expect(stateAt(log, 6).stateHash).toBe(hashAt6);
    } finally {
      log.close();
    }
  });
});

function exampleText(t: Trainer, i: number, T: number, vocab: readonly string[]): string {
  const inputs = new Int32Array(T);
  const targets = new Int32Array(T);
  t.data.task.write(i, inputs, targets);
  return rowText(inputs, targets, 0, T, vocab);
}

describe('data.kind tokens', () => {
  const u16 = (ids: number[]) => Buffer.from(Uint16Array.from(ids).buffer);

  it('reads little-endian uint16 ids; val.bin (data.heldOutPath) is the held-out set, numbered after train.bin; a vocabulary file names the ids', () => {
    const dir = tempDir();
    const ids = Array.from({ length: 41 }, (_, i) => (i * 7) % 300);
    const val = Array.from({ length: 25 }, (_, i) => (i * 11) % 300);
    writeFileSync(join(dir, 'train.bin'), u16(ids));
    writeFileSync(join(dir, 'val.bin'), u16(val));
    writeFileSync(join(dir, 'vocab.txt'), `${Array.from({ length: 300 }, (_, i) => `t${i}`).join('\n')}\n`);
    const cfg = validateConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, SMALL), { data: { kind: 'tokens', path: join(dir, 'train.bin'), heldOutPath: join(dir, 'val.bin'), vocabPath: join(dir, 'vocab.txt') } }));
    const d = new Dataset(cfg.data, 0, 8, 1);
    expect(d.vocabSize).toBe(300);
    expect(d.task.examples).toBe(5 + 3);
    expect(Array.from(d.split.train)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(d.split.heldOut)).toEqual([5, 6, 7]);
    const inputs = new Int32Array(8);
    const targets = new Int32Array(8);
    d.task.write(6, inputs, targets);
    expect(Array.from(inputs)).toEqual(val.slice(8, 16));
    expect(Array.from(targets)).toEqual(val.slice(9, 17));
    d.task.write(1, inputs, targets);
    expect(Array.from(inputs)).toEqual(ids.slice(8, 16));
    expect(d.task.source!.files.map((f) => f.key)).toEqual(['data.path', 'data.heldOutPath', 'data.vocabPath']);
    expect(decodeTokens({ vocab: null, data: d.task.source }, [3, 299])).toBe('t3 t299');
    // without the vocabulary file: model.vocabSize, and the trainFraction split
    const plain = validateConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, SMALL), { model: { vocabSize: 512 }, data: { kind: 'tokens', path: join(dir, 'train.bin'), trainFraction: 0.6 } }));
    const p = new Dataset(plain.data, 512, 8, 1);
    expect(p.vocabSize).toBe(512);
    expect(p.split.train.length).toBe(3);
    expect(p.task.source!.vocab).toBeNull();
  });
});

describe('UTF-8', () => {
  it('firstInvalidUtf8 finds the first byte of a malformed character: overlong, surrogate, beyond U+10FFFF, truncated, stray continuation', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii, é, 😀, 中'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2); // a surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // beyond U+10FFFF
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xe4, 0xb8]))).toBe(1); // truncated at the end
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x80]))).toBe(1); // a continuation byte alone
    expect(firstInvalidUtf8(Uint8Array.from([0xff]))).toBe(0);
  });
});
