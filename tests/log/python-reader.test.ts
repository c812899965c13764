// docs/format.md is complete enough to write a reader from: scripts/weft_read.py (Python, numpy,
// msgpack) was, and it must read every record and array exactly as weft's own reader does.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../../src/engine/hash.ts';
import { decodeFloats } from '../../src/log/codec.ts';
import { f64From, viewAs } from '../../src/log/format.ts';
import { openLog } from '../../src/log/reader.ts';
import { stepMasks } from '../../src/log/steps.ts';
import { stateAt } from '../../src/replay/state.ts';
import { ROOT } from '../helpers.ts';
import { config, MICRO, recordRun, tempDir } from './helpers.ts';

const PYTHON = '/usr/bin/python3';
const hasDeps = spawnSync(PYTHON, ['-c', 'import numpy, msgpack'], { encoding: 'utf8' }).status === 0;
if (process.env.CI && !hasDeps) throw new Error('CI is set but python3-numpy or python3-msgpack is missing: .ci/run must install them');

function read(args: string[]) {
  return spawnSync(PYTHON, [join(ROOT, 'scripts/weft_read.py'), ...args], { encoding: 'utf8' });
}

describe.skipIf(!hasDeps)('a reader written from docs/format.md', () => {
  const dir = tempDir();
  for (const mode of ['full', 'compact'] as const) {
    it(`reads a ${mode} log as weft does: scalars, tokens, norms, masks, arrays, state hashes`, () => {
      const path = join(dir, `${mode}.weft`);
      recordRun(path, config({ ...MICRO, steps: 5, record: { mode, keyframeEvery: 2 } }));
      const r = read([path, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const py = JSON.parse(r.stdout) as { mode: string; steps: Record<string, number | string>[] };
      const log = openLog(path);
      try {
        const expected = log.stepNumbers.map((n) => {
          const s = log.readStep(n);
          const masks = stepMasks(log.header, s);
          const row: Record<string, number | string> = {
            step: n, loss: f64From(s.loss), lr: f64From(s.lr), gradNormGlobal: f64From(s.gradNormGlobal), clipFactor: f64From(s.clipFactor),
            gradNormPerLayer: hashBytes(s.gradNormPerLayer), inputs: hashBytes(s.inputs), stateHash: s.stateHash,
          };
          // stored masks only (a compact log regenerates them from the seed: no bytes to read)
          if (s.masks && masks) row.masks = hashBytes(...log.header.dropoutSites.map((site) => masks.get(site)!));
          if (s.grads) {
            const g = new Float32Array(log.header.params.reduce((a, p) => a + p.size, 0));
            decodeFloats(s.grads, g, null);
            row.grads = hashBytes(g);
          }
          if (mode === 'full') row.params = hashBytes(stateAt(log, n).params);
          return row;
        });
        expect(py.mode).toBe(mode);
        expect(py.steps).toEqual(expected);
        expect(expected.some((row) => 'masks' in row)).toBe(mode === 'full');
      } finally {
        log.close();
      }
    });
  }

  it('reads attention probes (format 2) as weft does', () => {
    const path = join(dir, 'probes.weft');
    recordRun(path, config({ model: { nLayers: 2, nHeads: 2, dModel: 8, dFF: 16 }, data: { sentences: 50, batchSize: 2 }, steps: 3, record: { mode: 'compact', keyframeEvery: 100 }, probe: { every: 2 } }));
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'scripts'))})`,
      'import numpy as np, weft_read',
      `log = weft_read.WeftLog(${JSON.stringify(path)})`,
      'out = {}',
      'for n in sorted(log.probes):',
      '    out[n] = [{"ids": p["ids"].tolist(), "tri": [float(p["attention"][l, h, q, k]) for l in range(p["attention"].shape[0]) for h in range(p["attention"].shape[1]) for q in range(len(p["ids"])) for k in range(q + 1)]} for p in log.probe(n)]',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const py = JSON.parse(r.stdout) as Record<string, { ids: number[]; tri: number[] }[]>;
    const log = openLog(path);
    try {
      const mine = Object.fromEntries(log.readProbes().map((p) => [p.step, p.ids.map((ids, i) => ({ ids: Array.from(viewAs(ids, Int32Array)), tri: Array.from(viewAs(p.attention[i], Float64Array)) }))]));
      expect(Object.keys(mine)).toEqual(['0', '2', '3']);
      expect(py).toEqual(mine);
    } finally {
      log.close();
    }
  });

  it('exports a state as .npz, and names corruption with its offset (exit 3)', () => {
    const path = join(dir, 'full-npz.weft');
    recordRun(path, config({ ...MICRO, steps: 3, record: { mode: 'full', keyframeEvery: 2 } }));
    const npz = join(dir, 'state.npz');
    const ok = read([path, '--npz', npz, '--step', '3']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(npz).subarray(0, 2).toString()).toBe('PK'); // a zip archive
    const bytes = readFileSync(path);
    bytes[200] ^= 0x40; // inside the header record
    const bad = join(dir, 'flipped.weft');
    writeFileSync(bad, bytes);
    const r = read([bad]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/corrupt at byte 16: checksum mismatch/);
  });
});
