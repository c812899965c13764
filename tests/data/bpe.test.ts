// Byte-level BPE (data.tokenizer bpe): the merges of a hand-worked example, the same merges as
// minbpe's BasicTokenizer algorithm written independently in Python, encode/decode round trips,
// token names, and a run on a file through the CLI.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBpe, encodeBpe, trainBpe } from '../../src/data/bpe.ts';
import { join } from 'node:path';
import { openLog } from '../../src/log/reader.ts';
import { ROOT, weft } from '../helpers.ts';
import { PYTHON, tempDir } from '../log/helpers.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

// minbpe's BasicTokenizer.train (Karpathy, MIT), the algorithm as its README states it: count
// every adjacent pair, merge the most frequent (Python's max over a dict: the first inserted among
// equals), replace left to right, until the vocabulary is full
const MINBPE = `
import json, sys
data = sys.stdin.buffer.read()
vocab_size = int(sys.argv[1])
ids = list(data)
merges = []
for i in range(vocab_size - 256):
    stats = {}
    for a, b in zip(ids, ids[1:]):
        stats[(a, b)] = stats.get((a, b), 0) + 1
    if not stats or max(stats.values()) < 2:
        break
    pair = max(stats, key=stats.get)
    idx = 256 + i
    out, j = [], 0
    while j < len(ids):
        if j < len(ids) - 1 and ids[j] == pair[0] and ids[j + 1] == pair[1]:
            out.append(idx); j += 2
        else:
            out.append(ids[j]); j += 1
    ids = out
    merges.append(list(pair))
print(json.dumps({"merges": merges, "ids": ids}))
`;

describe('byte-level BPE', () => {
  it('a hand-worked example: aaabdaaabac', () => {
    // aa occurs 4 times (overlapping) → 256; then (256, a) and (a, b) twice each: the first to occur wins → 257; then (257, b) → 258
    const b = trainBpe(bytes('aaabdaaabac'), 1000);
    expect(b.merges).toEqual([[97, 97], [256, 97], [257, 98]]);
    expect(Array.from(b.tokens)).toEqual([258, 100, 258, 97, 99]);
    expect(b.names.slice(256)).toEqual(['aa', 'aaa', 'aaab']);
    // the vocabulary size stops it early
    expect(trainBpe(bytes('aaabdaaabac'), 257).merges).toEqual([[97, 97]]);
  });

  it('the same merges and tokens as minbpe\'s algorithm, on a text file', () => {
    const text = readFileSync(`${ROOT}/docs/data/sonnets.txt`);
    const py = spawnSync(PYTHON, ['-c', MINBPE, '400'], { input: text, encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(py.status, py.stderr).toBe(0);
    const want = JSON.parse(py.stdout) as { merges: [number, number][]; ids: number[] };
    const got = trainBpe(new Uint8Array(text), 400);
    expect(want.merges).toHaveLength(144);
    expect(got.merges).toEqual(want.merges);
    expect(Array.from(got.tokens)).toEqual(want.ids);
  });

  it('encode and decode: a text round-trips, and encoding the training text gives its tokens', () => {
    const s = 'Shall I compare thee to a summer’s day? — naïve café, 😀 😀 and again: thee, thee.';
    const b = trainBpe(bytes(s), 300);
    expect(b.merges.length).toBeGreaterThan(5);
    expect(Array.from(encodeBpe(bytes(s), b.merges))).toEqual(Array.from(b.tokens));
    expect(new TextDecoder().decode(decodeBpe(b.tokens, b.merges))).toBe(s);
    const other = 'a day of thee, café';
    expect(new TextDecoder().decode(decodeBpe(encodeBpe(bytes(other), b.merges), b.merges))).toBe(other);
  });

  it('token names: whole UTF-8 characters as text, a byte that is no whole character as \\xNN', () => {
    const b = trainBpe(bytes('éé'), 256);
    expect(b.names[0x41]).toBe('A');
    expect(b.names[0xc3]).toBe('\\xc3');
    expect(b.names[0xa9]).toBe('\\xa9');
    const e = trainBpe(bytes('éaéaéa'), 300);
    expect(e.names.slice(256)).toContain('é');
  });

  it('weft run FILE --set data.tokenizer=bpe: trains on its tokens, names them in the header, verifies; a vocabulary under 256 is one line, exit 2', () => {
    const out = join(tempDir(), 'bpe.weft');
    const file = `${ROOT}/docs/data/sonnets.txt`;
    const r = weft(['run', file, '--model', 'tiny', '--set', 'model.vocabSize=300', '--set', 'data.tokenizer=bpe', '--steps', '3', '--record', 'compact', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const log = openLog(out);
    const h = log.header;
    const b = trainBpe(new Uint8Array(readFileSync(file)), 300);
    expect(h.data!.tokenizer).toBe('bpe');
    expect(h.data!.vocab).toEqual(b.names);
    expect(h.vocabSize).toBe(300);
    // the first batch is windows of the file's BPE tokens
    const first = log.readStep(1);
    const inputs = new Int32Array(first.inputs.buffer.slice(first.inputs.byteOffset, first.inputs.byteOffset + first.inputs.byteLength));
    const T = h.config.model.contextLength;
    const starts = Array.from({ length: inputs.length / T }, (_, i) => inputs.subarray(i * T, (i + 1) * T).join(','));
    const all = Array.from(b.tokens).join(',');
    for (const w of starts) expect(all.includes(w)).toBe(true);
    log.close();
    expect(weft(['verify', out]).code).toBe(0);
    const bad = weft(['run', file, '--model', 'tiny', '--set', 'model.vocabSize=100', '--set', 'data.tokenizer=bpe', '--steps', '1', '--out', join(tempDir(), 'x.weft')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^weft run: model\.vocabSize: a byte-level BPE has the 256 byte tokens and its merges: must be 0 \(512\) or at least 256, got 100$/);
  });

  it('a vocabulary under 256 is a RangeError (the config says so first)', () => {
    expect(() => trainBpe(bytes('ab'), 255)).toThrow(/at least the 256 byte tokens/);
  });
});
