import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeConfig, validateConfig, DEFAULT_CONFIG, STORY_PROMPT, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { decodeCompletion, COMPLETION_TOKENS, COMPLETION_TOP } from '../../src/engine/completion.ts';
import { crc32 } from '../../src/log/crc32.ts';
import { pack, unpack } from '../../src/log/msgpack.ts';
import { openLog } from '../../src/log/reader.ts';
import { bytesOf, viewAs } from '../../src/log/format.ts';
import type { ProbeRecord } from '../../src/log/records.ts';
import { modelStateAt, sample } from '../../src/replay/sample.ts';
import { verifyLog } from '../../src/replay/verify.ts';
import { spawnSync } from 'node:child_process';
import { framesOf, PYTHON, pythonReaderAvailable, recordStopped, resumedLogsDiffering, tempDir } from '../log/helpers.ts';

const SMALL: DeepPartial<WeftConfig> = { model: { nLayers: 2, nHeads: 2, dModel: 8, dFF: 16, vocabSize: 0, contextLength: 16 }, data: { sentences: 100, batchSize: 2 }, optim: { lr: 1e-2 } };
const cfg = (over: DeepPartial<WeftConfig>) => validateConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, SMALL), over));
const PROBE = { every: 2, sentences: ['The professor finished her lecture.'], links: [] };
const PROMPTS = [STORY_PROMPT, 'The professor'];

const record = (path: string, c: WeftConfig, stopAfter?: number) => recordStopped(path, c, 'completion-test', stopAfter);

/** Python's float.hex() read back (0x1.8p-3 …), exactly. */
function hexToFloat(h: string): number {
  const m = /^(-?)0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(h);
  if (!m) throw new Error(`not a float.hex: ${h}`);
  const mant = BigInt(`0x${m[2]}${m[3] || '0'}`);
  const bits = (m[3] || '0').length * 4;
  return (m[1] ? -1 : 1) * Number(mant) * 2 ** (Number(m[4]) - bits);
}


describe('completion probes (probe.prompts)', () => {
  it('change no bit of training, and a probe section without prompts stores no prompts key and no completions', () => {
    const dir = tempDir();
    for (const mode of ['full', 'compact'] as const) {
      const off = join(dir, `off-${mode}.weft`);
      const on = join(dir, `on-${mode}.weft`);
      record(off, cfg({ steps: 5, record: { mode, keyframeEvery: 3 }, probe: PROBE }));
      record(on, cfg({ steps: 5, record: { mode, keyframeEvery: 3 }, probe: { ...PROBE, prompts: PROMPTS } }));
      const a = framesOf(off);
      const b = framesOf(on);
      const training = [...a.keys()].filter((k) => /^(step|keyframe)/.test(k));
      expect(training.length).toBe(5 + 3);
      for (const k of training) expect(b.get(k)!.equals(a.get(k)!), `${mode} ${k}`).toBe(true);
      const la = openLog(off);
      const lb = openLog(on);
      expect(la.readEnd()!.stateHash).toBe(lb.readEnd()!.stateHash);
      expect(la.header.format).toBe(lb.header.format);
      // stored as written: no key at its "as before", read back completed
      const storedA = unpack(a.get('header -1')!.subarray(8)) as { config: { probe: Record<string, unknown> } };
      expect(Object.keys(storedA.config.probe)).toEqual(['every', 'sentences', 'links']);
      expect(la.header.config.probe!.prompts).toEqual([]);
      expect(lb.header.config.probe!.prompts).toEqual(PROMPTS);
      const pa = la.readProbes();
      const pb = lb.readProbes();
      expect(pa.map((p) => p.step)).toEqual([0, 2, 4, 5]);
      expect(pb.map((p) => p.step)).toEqual([0, 2, 4, 5]);
      for (let i = 0; i < pa.length; i++) {
        expect('completions' in pa[i]).toBe(false);
        expect(Buffer.from(pb[i].attention[0]).equals(Buffer.from(pa[i].attention[0]))).toBe(true);
        expect(pb[i].completions).toHaveLength(2);
      }
      expect(verifyLog(lb).ok).toBe(true);
      la.close();
      lb.close();
    }
  });

  it('a recorded completion is what `sample` gives at that step, bit for bit, and it changes as the model learns', () => {
    const path = join(tempDir(), 'c.weft');
    record(path, cfg({ steps: 6, record: { mode: 'compact', keyframeEvery: 4 }, probe: { ...PROBE, prompts: PROMPTS } }));
    const log = openLog(path);
    const seen = new Set<string>();
    for (const p of log.readProbes()) {
      const state = modelStateAt(log, p.step);
      p.completions!.forEach((r, i) => {
        const c = decodeCompletion(r);
        const s = sample(state, PROMPTS[i], { tokens: COMPLETION_TOKENS });
        expect(c.ids).toEqual(s.prompt.ids);
        expect(c.tokens).toEqual(s.generated.map((g) => g.id));
        expect(c.top).toHaveLength(COMPLETION_TOP);
        expect(c.top.map((t) => t.id)).toEqual(s.generated[0].top.map((t) => t.id));
        // the bits of each probability, not a tolerance
        c.top.forEach((t, j) => expect(Object.is(t.probability, s.generated[0].top[j].probability)).toBe(true));
        expect(c.top[0].id).toBe(c.tokens[0]);
        seen.add(`${i} ${c.top[0].probability}`);
      });
    }
    // not a constant: a reader that returned the first record each time would not pass
    expect(seen.size).toBeGreaterThan(2);
    log.close();
  });

  it('verify recomputes them: a probability one ulp off, or another token, is a mismatch naming the field', () => {
    const dir = tempDir();
    const path = join(dir, 'v.weft');
    record(path, cfg({ steps: 4, record: { mode: 'compact', keyframeEvery: 100 }, probe: { ...PROBE, prompts: PROMPTS } }));
    const original = readFileSync(path);
    const tamper = (change: (r: ProbeRecord) => void): ReturnType<typeof verifyLog> => {
      const log = openLog(path);
      const frame = log.probeFrames.find((f) => f.step === 2)!;
      log.close();
      const bytes = Buffer.from(original);
      const body = bytes.subarray(frame.offset + 8, frame.end);
      const rec = unpack(body) as ProbeRecord;
      change(rec);
      const changed = Buffer.from(pack(rec));
      expect(changed.length).toBe(body.length);
      changed.copy(bytes, frame.offset + 8);
      bytes.writeUInt32LE(crc32(changed), frame.offset + 4);
      const out = join(dir, 'tampered.weft');
      writeFileSync(out, bytes);
      const l = openLog(out);
      try {
        return verifyLog(l);
      } finally {
        l.close();
      }
    };
    const ulp = tamper((r) => {
      const p = Float64Array.from(viewAs(r.completions![1].probabilities, Float64Array));
      new BigInt64Array(p.buffer)[0] += 1n;
      r.completions![1].probabilities = bytesOf(p);
    });
    expect(ulp.ok).toBe(false);
    expect(ulp.mismatch).toMatchObject({ step: 2, field: 'probe.completions.probabilities', tensor: 'prompt 2' });
    const token = tamper((r) => {
      const t = Int32Array.from(viewAs(r.completions![0].tokens, Int32Array));
      t[7] = t[7] === 1 ? 2 : 1;
      r.completions![0].tokens = bytesOf(t);
    });
    expect(token.mismatch).toMatchObject({ step: 2, field: 'probe.completions.tokens', tensor: 'prompt 1' });
    // and the untouched log verifies
    expect(tamper(() => {}).ok).toBe(true);
  });

  it('a resumed run writes the completions an uninterrupted one does, byte for byte', () => {
    const c = cfg({ steps: 6, record: { mode: 'compact', keyframeEvery: 3 }, probe: { ...PROBE, prompts: PROMPTS } });
    expect(resumedLogsDiffering(tempDir(), c, 'completion-test', [2, 3, 5]), 'interrupted after these steps').toEqual([]);
  });

  it.skipIf(!pythonReaderAvailable)('the Python reader reads them: the same tokens and probabilities', () => {
    const path = join(tempDir(), 'py.weft');
    record(path, cfg({ steps: 2, record: { mode: 'compact', keyframeEvery: 100 }, probe: { ...PROBE, prompts: PROMPTS } }));
    const script = `import sys, json; sys.path.insert(0, ${JSON.stringify(join(import.meta.dirname, '../../python'))}); import weft_read as w
l = w.WeftLog(sys.argv[1]); l.check()
print(json.dumps([[{"tokens": c["tokens"].tolist(), "top": c["top"].tolist(), "p": [float(x).hex() for x in c["probabilities"]]} for c in l.completions(s)] for s in (0, 2)]))`;
    const r = spawnSync(PYTHON, ['-c', script, path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const log = openLog(path);
    const py = JSON.parse(r.stdout) as { tokens: number[]; top: number[]; p: string[] }[][];
    const ts = log.readProbes().map((p) => p.completions!.map(decodeCompletion));
    expect(py.map((s) => s.map((c) => c.tokens))).toEqual(ts.map((s) => s.map((c) => c.tokens)));
    expect(py.map((s) => s.map((c) => c.top))).toEqual(ts.map((s) => s.map((c) => c.top.map((t) => t.id))));
    // float.hex against the bits: parse the hex back and compare exactly
    py.forEach((s, i) => s.forEach((c, j) => c.p.forEach((h, k) => expect(hexToFloat(h)).toBe(ts[i][j].top[k].probability))));
    log.close();
  });

  it('a prompt with a word outside the vocabulary is refused before the run, naming the key and the word', () => {
    expect(() => record(join(tempDir(), 'x.weft'), cfg({ steps: 1, probe: { ...PROBE, prompts: ['The zorblax'] } }))).toThrow(/probe\.prompts: prompt 1 \("The zorblax"\).*"zorblax"/);
  });
});
