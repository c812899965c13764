import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeConfig, validateConfig, DEFAULT_CONFIG, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { probeIndex } from '../../src/engine/probe.ts';
import { openLog } from '../../src/log/reader.ts';
import { viewAs } from '../../src/log/format.ts';
import { verifyLog } from '../../src/replay/verify.ts';
import { trackLink } from '../../src/replay/track.ts';
import { framesOf, recordStopped, resumedLogsDiffering, tempDir } from '../log/helpers.ts';
import { weft } from '../helpers.ts';

const SMALL: DeepPartial<WeftConfig> = { model: { nLayers: 2, nHeads: 2, dModel: 8, dFF: 16, vocabSize: 0, contextLength: 16 }, data: { sentences: 100, batchSize: 2 } };
const cfg = (over: DeepPartial<WeftConfig>) => validateConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, SMALL), over));
const PROBE = { every: 2, sentences: ['The scientists published their findings after they completed the experiment.', 'The professor finished her lecture.'], links: ['they->scientists'] };

const record = (path: string, c: WeftConfig, prepare?: (t: Trainer) => void, stopAfter?: number) => recordStopped(path, c, 'probe-test', stopAfter, prepare);


describe('attention probes', () => {
  it('on a hand-built one-layer model, the recorded attention is the attention computed here', () => {
    const path = join(tempDir(), 'hand.weft');
    const c = cfg({ steps: 0, model: { nLayers: 1, nHeads: 2, dModel: 4, dropout: 0 }, probe: { ...PROBE, sentences: ['The cat chased the dog because it was fast.'] } });
    let table!: Trainer['table'];
    let P!: Float32Array;
    record(path, c, (t) => {
      // fixed weights, the same on any machine: a smooth pattern, then read back as float32
      for (let i = 0; i < t.params.length; i++) t.params[i] = Math.fround(0.5 * Math.sin(0.37 * i + 1) + (i % 7) * 0.05);
      table = t.table;
      P = Float32Array.from(t.params as Float32Array);
    });
    const log = openLog(path);
    const [probe] = log.readProbes();
    const ids = Array.from(viewAs(probe.ids[0], Int32Array));
    const att = viewAs(probe.attention[0], Float64Array);
    const vocab = log.header.vocab!;
    expect(ids.map((i) => vocab[i])).toEqual(['the', 'cat', 'chased', 'the', 'dog', 'because', 'it', 'was', 'fast', '.']);
    // the attention of layer 1, from the weights alone, in float64
    const C = 4;
    const H = 2;
    const hd = C / H;
    const w = (name: string) => P.subarray(table.byName.get(name)!.offset);
    const T = ids.length;
    const x = ids.map((id, t) => Array.from({ length: C }, (_, c) => w('tok_emb.weight')[id * C + c] + w('pos_emb.weight')[t * C + c]));
    const ln = x.map((row) => {
      const m = row.reduce((a, b) => a + b, 0) / C;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / C;
      return row.map((r, c) => ((r - m) / Math.sqrt(v + 1e-5)) * w('blocks.0.ln1.weight')[c] + w('blocks.0.ln1.bias')[c]);
    });
    const qkv = ln.map((row) => Array.from({ length: 3 * C }, (_, o) => row.reduce((a, r, c) => a + r * w('blocks.0.attn.qkv.weight')[o * C + c], 0) + w('blocks.0.attn.qkv.bias')[o]));
    let compared = 0;
    for (let h = 0; h < H; h++) {
      for (let q = 0; q < T; q++) {
        const scores = Array.from({ length: q + 1 }, (_, k) => Array.from({ length: hd }, (_, i) => qkv[q][h * hd + i] * qkv[k][C + h * hd + i]).reduce((a, b) => a + b, 0) / Math.sqrt(hd));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let k = 0; k <= q; k++) {
          // the model keeps activations in float32: agreement to float32's precision
          expect(Math.abs(att[probeIndex(T, H, 0, h, q, k)] - e[k] / sum)).toBeLessThan(1e-6);
          compared++;
        }
      }
    }
    expect(compared).toBe(H * (T * (T + 1)) / 2);
    expect(att.length).toBe(compared);
    // not a flat pattern: the test would not notice a model that looked nowhere in particular
    expect(Math.max(...att) - Math.min(...Array.from(att).filter((a) => a > 0))).toBeGreaterThan(0.1);
    log.close();
  });

  it('probes change no bit of training: step records, keyframes and state hashes equal a run without them', () => {
    const dir = tempDir();
    for (const mode of ['full', 'compact', 'summary'] as const) {
      const off = join(dir, `off-${mode}.weft`);
      const on = join(dir, `on-${mode}.weft`);
      record(off, cfg({ steps: 5, record: { mode, keyframeEvery: 3 } }));
      record(on, cfg({ steps: 5, record: { mode, keyframeEvery: 3 }, probe: PROBE }));
      const a = framesOf(off);
      const b = framesOf(on);
      const training = [...a.keys()].filter((k) => /^(step|keyframe)/.test(k));
      expect(training.length).toBe(5 + 3); // steps 1…5; keyframes 0, 3, 5
      for (const k of training) expect(b.get(k)!.equals(a.get(k)!), `${mode} ${k}`).toBe(true);
      expect([...b.keys()].filter((k) => k.startsWith('probe'))).toEqual(['probe 0', 'probe 2', 'probe 4', 'probe 5']);
      const la = openLog(off);
      const lb = openLog(on);
      expect([la.header.format, lb.header.format]).toEqual([1, 2]);
      expect(readFileSync(off).readUInt32LE(8)).toBe(1);
      expect(readFileSync(on).readUInt32LE(8)).toBe(2);
      expect(lb.readEnd()!.stateHash).toBe(la.readEnd()!.stateHash);
      // and the probes are what re-execution gives, bit for bit
      expect(verifyLog(lb).ok).toBe(true);
      la.close();
      lb.close();
    }
  });

  it('a resumed run writes the probes an uninterrupted one does, byte for byte', () => {
    const c = cfg({ steps: 7, record: { mode: 'compact', keyframeEvery: 3 }, probe: PROBE });
    expect(resumedLogsDiffering(tempDir(), c, 'probe-test', [2, 3, 4, 5]), 'interrupted after these steps').toEqual([]);
  });

  it('tracking a link: from the probes and by replay, the same numbers', () => {
    const path = join(tempDir(), 'track.weft');
    record(path, cfg({ steps: 6, record: { mode: 'compact', keyframeEvery: 100 }, probe: PROBE }));
    const log = openLog(path);
    const fromProbes = trackLink(log, 'they->scientists');
    const byReplay = trackLink(log, 'they->scientists', { sentence: PROBE.sentences[0], every: 2 });
    expect(fromProbes.source).toBe('probes');
    expect(byReplay.source).toBe('replay');
    expect(byReplay.steps).toEqual(fromProbes.steps);
    expect(byReplay.heads).toEqual(fromProbes.heads);
    expect(fromProbes.heads).toHaveLength(2 * 2);
    expect([fromProbes.words[fromProbes.q], fromProbes.words[fromProbes.k]]).toEqual(['they', 'scientists']);
    const best = fromProbes.heads.reduce((a, b) => (b.final > a.final ? b : a));
    expect(fromProbes.strongest).toMatchObject({ layer: best.layer, head: best.head, final: best.final });
    log.close();
    const cli = weft(['attention', path, '--track', 'they->scientists', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).strongest).toEqual(fromProbes.strongest);
    const text = weft(['attention', path, '--track', 'they->scientists']);
    expect(text.stdout).toMatch(new RegExp(`^  L${best.layer + 1} +H${best.head + 1} +[▁▂▃▄▅▆▇█]{4} +${best.final.toFixed(2)}`, 'm'));
    const bad = weft(['attention', path, '--track', 'they->zorblax']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"zorblax" is not in the run's vocabulary/);
  });

  it('a probe asks for words: the random corpus is refused, naming the key', () => {
    const t = () => record(join(tempDir(), 'r.weft'), cfg({ steps: 1, data: { corpus: 'random' }, model: { vocabSize: 16 }, probe: PROBE }));
    expect(t).toThrow(/probe: attention probes need words/);
  });
});
