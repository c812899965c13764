import { readFileSync, writeFileSync, copyFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { stateAt } from '../../src/replay/state.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { hashBytes } from '../../src/engine/hash.ts';
import { pack } from '../../src/log/msgpack.ts';
import { TINY } from '../../src/config/config.ts';
import { TINY_SETS, weft } from '../helpers.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

const dir = tempDir();
const STEPS = 12;
const base = { model: TINY, steps: STEPS, record: { keyframeEvery: 5 } } as const;

function freshState(n: number, mode: 'full' | 'compact') {
  const t = new Trainer(config({ ...base, record: { ...base.record, mode } }));
  for (let i = 0; i < n; i++) t.step();
  return { params: hashBytes(t.params), m: hashBytes(t.optim.m), v: hashBytes(t.optim.v), t: t.optim.t };
}

describe('stateAt equals a fresh run stopped after N steps', () => {
  for (const mode of ['full', 'compact'] as const) {
    it(`${mode}: N = 0, 1, a keyframe, one after it, the last`, () => {
      const path = join(dir, `${mode}.weft`);
      recordRun(path, config({ ...base, record: { ...base.record, mode } }));
      const log = openLog(path);
      for (const n of [0, 1, 5, 6, 9, STEPS]) {
        const s = stateAt(log, n);
        expect({ params: hashBytes(s.params), m: hashBytes(s.m), v: hashBytes(s.v), t: s.optimT }, `step ${n}`).toEqual(freshState(n, mode));
        expect(s.dataCursor).toBe(n);
      }
      log.close();
    });
  }
});

/** The frames of a log's step records, as bytes, by step. */
function stepBytes(path: string): Map<number, Buffer> {
  const log = openLog(path);
  const m = new Map(log.stepNumbers.map((s) => [s, Buffer.from(pack(log.readStep(s)))]));
  log.close();
  return m;
}

describe('fork and resume', () => {
  const parent = join(dir, 'parent.weft');
  const r = weft(['run', 'baseline', ...TINY_SETS, '--steps', String(STEPS), '--record', 'full', '--set', 'record.keyframeEvery=5', '--out', parent, '--quiet']);

  it('a fork with no change reproduces the parent from step N on, byte for byte', () => {
    expect(r.code, r.stderr).toBe(0);
    const fork = join(dir, 'fork.weft');
    const f = weft(['fork', parent, '--at', '7', '--out', fork, '--quiet']);
    expect(f.code, f.stderr).toBe(0);
    const a = stepBytes(parent);
    const b = stepBytes(fork);
    expect([...b.keys()]).toEqual([8, 9, 10, 11, 12]);
    for (const [s, bytes] of b) expect(bytes.equals(a.get(s)!), `step ${s}`).toBe(true);
    const log = openLog(fork);
    expect(log.header.parent).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), step: 7 });
    expect(log.header.startStep).toBe(7);
    log.close();
    expect(weft(['verify', fork, '--quiet']).code).toBe(0);
  });

  it('a fork with optim.kind=sgd starts from the same state and differs from step N+1 on', () => {
    const fork = join(dir, 'sgd.weft');
    expect(weft(['fork', parent, '--at', '7', '--set', 'optim.kind=sgd', '--set', 'optim.lr=0.1', '--out', fork, '--quiet']).code).toBe(0);
    const p = openLog(parent);
    const f = openLog(fork);
    expect(hashBytes(stateAt(f, 7).params)).toBe(hashBytes(stateAt(p, 7).params));
    for (let s = 8; s <= STEPS; s++) expect(f.readStep(s).stateHash, `step ${s}`).not.toBe(p.readStep(s).stateHash);
    // the first batch after the fork is the same data: only the update differs
    expect(Buffer.from(f.readStep(8).inputs).equals(p.readStep(8).inputs)).toBe(true);
    p.close();
    f.close();
  });

  it('a killed run, resumed, equals the uninterrupted run byte for byte', () => {
    for (const cutStep of [3, 5, 10]) {
      const killed = join(dir, `killed-${cutStep}.weft`);
      copyFileSync(parent, killed);
      // cut inside the frame after step cutStep's record: as if killed while writing it
      const log = openLog(parent);
      const frames = log.frames;
      const i = frames.findIndex((f) => f.kind === 'step' && f.step === cutStep);
      const next = frames[i + 1];
      log.close();
      truncateSync(killed, next.offset + Math.floor((next.end - next.offset) / 2));
      const res = weft(['run', 'baseline', '--resume', '--out', killed, '--quiet']);
      expect(res.code, res.stderr).toBe(0);
      expect(readFileSync(killed).equals(readFileSync(parent)), `resumed after step ${cutStep}`).toBe(true);
    }
  });

  it('resume refuses a log that ended, and a fork refuses a new architecture', () => {
    const a = weft(['run', 'baseline', '--resume', '--out', parent]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/the run ended/);
    const b = weft(['fork', parent, '--at', '3', '--set', 'model.nLayers=3', '--out', join(dir, 'x.weft')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/keep the parent’s architecture/);
  });
});

/** An independent minimal safetensors reader: u64 header length, JSON header, offsets. */
function readSafetensors(path: string) {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const data = buf.subarray(8 + n);
  const tensors: Record<string, { dtype: string; shape: number[]; values: Float32Array }> = {};
  for (const [name, t] of Object.entries<{ dtype: string; shape: number[]; data_offsets: [number, number] }>(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t.data_offsets;
    const bytes = Uint8Array.from(data.subarray(b, e));
    tensors[name] = { dtype: t.dtype, shape: t.shape, values: new Float32Array(bytes.buffer) };
  }
  return { metadata: header.__metadata__ as Record<string, string>, tensors, headerBytes: n, dataBytes: data.length };
}

describe('export', () => {
  it('writes a safetensors file that an independent reader loads exactly', () => {
    const parent = join(dir, 'parent.weft');
    const out = join(dir, 'state.safetensors');
    const r = weft(['export', parent, '--at', '6', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const st = readSafetensors(out);
    expect((8 + st.headerBytes) % 8).toBe(0);
    const log = openLog(parent);
    const s = stateAt(log, 6);
    const names = Object.keys(st.tensors);
    expect(names).toHaveLength(3 * log.header.params.length);
    let covered = 0;
    for (const p of log.header.params) {
      for (const [name, buf] of [[p.name, s.params], [`optim.m.${p.name}`, s.m], [`optim.v.${p.name}`, s.v]] as const) {
        const t = st.tensors[name];
        expect(t, name).toBeDefined();
        expect(t.dtype).toBe('F32');
        expect(t.shape).toEqual(p.shape);
        expect(Buffer.from(t.values.buffer).equals(Buffer.from(buf.buffer, buf.byteOffset + 4 * p.offset, 4 * p.size)), name).toBe(true);
        covered += 4 * p.size;
      }
    }
    expect(covered).toBe(st.dataBytes); // every byte of the data is some tensor's
    expect(st.tensors['blocks.0.attn.qkv.weight'].shape).toEqual([96, 32]);
    expect(st.metadata.step).toBe('6');
    expect(st.metadata['optim.t']).toBe('6');
    expect(st.metadata.seed).toBe('1');
    expect(JSON.parse(st.metadata.config).model.nHeads).toBe(4);
    log.close();
  });

  it('json format for small states', () => {
    const out = join(dir, 'state.json');
    expect(weft(['export', join(dir, 'parent.weft'), '--at', '0', '--out', out, '--format', 'json']).code).toBe(0);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.metadata.step).toBe('0');
    expect(j.tensors['ln_f.weight'].data.every((x: number) => x === 1)).toBe(true);
  });
});

describe('bad input: one clear line, exit 2 (3 for corrupt data)', () => {
  const parent = join(dir, 'parent.weft');
  it.each([
    [['replay', parent, '--to', '99'], /--to 99: the log holds steps 0…12/],
    [['replay', parent, '--to', '-1'], /--to: expected a non-negative value, got "-1"/],
    [['replay', parent, '--to', '2.5'], /--to: expected a non-negative integer step, got "2.5"/],
    [['replay', parent], /--to N is required/],
    [['fork', parent, '--at', '3', '--set', 'model.colour=red', '--out', join(dir, 'y.weft')], /model\.colour: unknown config key/],
    [['export', parent, '--at', '3'], /--out FILE is required/],
  ])('%j', (args, pattern) => {
    const r = weft(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(pattern);
  });
  it('a log cut short inside its first keyframe (a run killed while writing it): replay names where its frame starts', () => {
    const cut = join(dir, 'cut-in-keyframe.weft');
    const log = openLog(parent);
    const f = log.frames.find((x) => x.kind === 'keyframe' && x.step === 0)!;
    log.close();
    writeFileSync(cut, readFileSync(parent).subarray(0, f.offset + Math.floor((f.end - f.offset) / 2)));
    const r = weft(['replay', cut, '--to', '0']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(`weft replay: ${cut}: corrupt at byte ${f.offset}: no keyframe at or before step 0: the log ends there, in a frame cut short (a write stopped, as by a kill)`);
  });
  it('a fork of a corrupt log', () => {
    const bad = join(dir, 'corrupt.weft');
    const buf = readFileSync(parent);
    const log = openLog(parent);
    const f = log.frames.find((x) => x.kind === 'keyframe' && x.step === 5)!;
    log.close();
    buf[f.offset + 40] ^= 1;
    writeFileSync(bad, buf);
    const r = weft(['fork', bad, '--at', '6', '--out', join(dir, 'z.weft')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`corrupt at byte ${f.offset} \\(record \\d+\\): checksum mismatch`));
    expect(statSync(parent).size).toBe(buf.length);
  });
});
