// The f32acc numeric mode in whole runs: named in the header, the same log bytes with either
// kernel implementation and any number of threads, re-executed by every path in the header's
// mode (verify, replay of compact logs, fork), and never mixed with f64acc.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, TINY, validateConfig } from '../../src/config/config.ts';
import { hashBytes } from '../../src/engine/hash.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { crc32 } from '../../src/log/crc32.ts';
import { pack, unpack } from '../../src/log/msgpack.ts';
import { openLog } from '../../src/log/reader.ts';
import { stateAt } from '../../src/replay/state.ts';
import { TINY_SETS, weft } from '../helpers.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

const dir = tempDir();
const F32 = ['--set', 'numeric=f32acc'];

/** The frames of a log's step records, as bytes, by step. */
function stepBytes(path: string): Map<number, Buffer> {
  const log = openLog(path);
  const m = new Map(log.stepNumbers.map((s) => [s, Buffer.from(pack(log.readStep(s)))]));
  log.close();
  return m;
}

/** The log's frames re-written by `change` (the index and trailer dropped). */
function rewritten(src: Uint8Array, change: (rec: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  const out: Uint8Array[] = [src.subarray(0, 16)];
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let o = 16; o + 8 <= src.length;) {
    const len = dv.getUint32(o, true);
    if (o + 8 + len > src.length) break;
    const rec = unpack(src.subarray(o + 8, o + 8 + len)) as Record<string, unknown>;
    o += 8 + len;
    if (rec.kind === 'index') break;
    const body = pack(change(rec));
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, body.length, true);
    new DataView(head.buffer).setUint32(4, crc32(body), true);
    out.push(head, body);
  }
  return Buffer.concat(out);
}

describe('the f32acc numeric mode in whole runs', () => {
  it('the header names it; its numbers are not f64acc\'s; the default stays f64acc', () => {
    const t32 = new Trainer(config({ model: TINY, steps: 1, numeric: 'f32acc' }));
    const t64 = new Trainer(config({ model: TINY, steps: 1 }));
    expect(t32.numericMode).toBe('reference-f32acc-v1');
    expect(t64.numericMode).toBe('reference-f64acc-v1');
    // the same initial state (initialization does not use the kernels' arithmetic), other losses
    expect(hashBytes(t32.params)).toBe(hashBytes(t64.params));
    expect(t32.step().loss).not.toBe(t64.step().loss);
  });

  it('gpt-rms (RMSNorm) in f32acc follows f64acc to float32 precision, and the fast set equals the reference', () => {
    const c = validateConfig(mergeConfig(DEFAULT_CONFIG, { model: { ...TINY, arch: 'gpt-rms', bias: false }, steps: 6 }));
    const f32 = validateConfig(mergeConfig(c, { numeric: 'f32acc' }));
    const a = new Trainer(c);
    const b = new Trainer(f32);
    const ref = new Trainer(f32, { implementation: 'reference' });
    for (let s = 1; s <= 6; s++) {
      const [x, y, z] = [a.step(), b.step(), ref.step()];
      expect(Math.abs(x.loss - y.loss), `step ${s}`).toBeLessThan(1e-4);
      expect(Object.is(y.loss, z.loss) && y.stateHash === z.stateHash, `step ${s}`).toBe(true);
    }
    expect(b.stateHash()).not.toBe(a.stateHash());
  });

  it('an unknown numeric mode is one line naming the modes, exit 2, and nothing is written', () => {
    const dir = tempDir();
    const out = join(dir, 'bogus.weft');
    const r = weft(['run', 'baseline', '--set', 'numeric=bogus', '--steps', '2', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('weft run: numeric: must be one of "f64acc", "f32acc", got "bogus"');
    expect(existsSync(out)).toBe(false);
  });

  it('f32acc needs float32 storage: one line naming the key, exit 2', () => {
    const r = weft(['run', 'baseline', ...F32, '--set', 'dtype=float64', '--steps', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('weft run: numeric: f32acc computes in float32 and needs float32 storage (dtype float32), got dtype float64');
  });

  it('logs are byte-identical with --kernels fast and --kernels reference (full and compact), and each verifies the other\'s', () => {
    for (const mode of ['full', 'compact']) {
      const paths = ['fast', 'reference'].map((k) => {
        const out = join(dir, `${mode}-${k}.weft`);
        const r = weft(['run', 'baseline', ...TINY_SETS, ...F32, '--steps', '5', '--record', mode, '--set', 'record.keyframeEvery=3', '--out', out, '--quiet', '--kernels', k]);
        expect(r.code, r.stderr).toBe(0);
        return out;
      });
      expect(readFileSync(paths[0]).equals(readFileSync(paths[1])), `${mode}: fast and reference logs differ`).toBe(true);
      const v = weft(['verify', paths[0], '--kernels', 'reference']);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(v.stdout).toMatch(/reproduced — 5 steps re-executed/);
      expect(weft(['inspect', paths[0]]).stdout).toMatch(/numeric mode reference-f32acc-v1/);
    }
  });

  it('logs are byte-identical with 1, 2 and 3 threads (fabric-bench)', () => {
    const paths = ['1', '2', '3'].map((n) => {
      const out = join(dir, `threads-${n}.weft`);
      const r = weft(['run', 'bench', ...F32, '--steps', '3', '--record', 'full', '--out', out, '--quiet', '--threads', n]);
      expect(r.code, r.stderr).toBe(0);
      return out;
    });
    expect(readFileSync(paths[1]).equals(readFileSync(paths[0]))).toBe(true);
    expect(readFileSync(paths[2]).equals(readFileSync(paths[0]))).toBe(true);
  });

  it('a compact log replays in its header\'s mode: stateAt equals a fresh f32acc run stopped after N steps', () => {
    const cfg = config({ model: TINY, steps: 7, numeric: 'f32acc', record: { mode: 'compact', keyframeEvery: 3 } });
    const path = join(dir, 'compact-replay.weft');
    const { hashes } = recordRun(path, cfg);
    const log = openLog(path);
    try {
      for (const n of [1, 2, 4, 5, 7]) expect(stateAt(log, n).stateHash, `step ${n}`).toBe(hashes[n]);
    } finally {
      log.close();
    }
  });

  it('a fork with no change reproduces an f32acc parent; a fork to f32acc trains, names and verifies in f32acc', () => {
    const parent = join(dir, 'parent-f32.weft');
    expect(weft(['run', 'baseline', ...TINY_SETS, ...F32, '--steps', '8', '--record', 'full', '--set', 'record.keyframeEvery=4', '--out', parent, '--quiet']).code).toBe(0);
    const same = join(dir, 'fork-same.weft');
    const f = weft(['fork', parent, '--at', '4', '--out', same, '--quiet']);
    expect(f.code, f.stderr).toBe(0);
    const a = stepBytes(parent);
    for (const [s, bytes] of stepBytes(same)) expect(bytes.equals(a.get(s)!), `step ${s}`).toBe(true);

    const parent64 = join(dir, 'parent-f64.weft');
    expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', '8', '--record', 'full', '--set', 'record.keyframeEvery=4', '--out', parent64, '--quiet']).code).toBe(0);
    const to32 = join(dir, 'fork-to-f32.weft');
    const g = weft(['fork', parent64, '--at', '4', ...F32, '--out', to32, '--quiet']);
    expect(g.code, g.stderr).toBe(0);
    const log = openLog(to32);
    const p64 = openLog(parent64);
    try {
      expect(log.header.numericMode).toBe('reference-f32acc-v1');
      // the parent's state at the fork step, then f32acc's steps: the f32acc parent's, since both
      // runs start from the same state and the fork's steps 5… are f32acc steps from the f64acc state
      expect(stateAt(log, 4).stateHash).toBe(stateAt(p64, 4).stateHash);
      expect(log.readStep(5).stateHash).not.toBe(p64.readStep(5).stateHash);
    } finally {
      log.close();
      p64.close();
    }
    const v = weft(['verify', to32]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('a header whose numeric mode is not its config\'s is damage: one line, exit 3', () => {
    const path = join(dir, 'mixed-src.weft');
    recordRun(path, config({ model: TINY, steps: 2, numeric: 'f32acc', record: { mode: 'full', keyframeEvery: 2 } }));
    const mixed = join(dir, 'mixed.weft');
    writeFileSync(mixed, rewritten(readFileSync(path), (rec) => (rec.kind === 'header' ? { ...rec, numericMode: 'reference-f64acc-v1' } : rec)));
    for (const cmd of ['inspect', 'verify']) {
      const r = weft([cmd, mixed]);
      expect(r.code, cmd).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/the header names numeric mode "reference-f64acc-v1", its config "f32acc" \(reference-f32acc-v1\)/);
    }
  });
});
