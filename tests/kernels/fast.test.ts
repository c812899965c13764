// The fast kernels in whole runs: the same log bytes as the reference kernels, logs written before
// they existed still verify, the committed .wasm is what its source builds, and a log in a numeric
// mode this version does not know is refused in one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWasm, WAT_SOURCES } from '../../scripts/build-wasm.ts';
import { mergeConfig, TINY, validateConfig } from '../../src/config/config.ts';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { makeHeader, Recorder } from '../../src/engine/recorder.ts';
import { LogWriter } from '../../src/log/writer.ts';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { ROOT, TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const dir = tempDir();

describe('fast kernels in whole runs', () => {
  it('each committed .wasm is what its .wat builds to', async () => {
    expect(WAT_SOURCES.length).toBe(3);
    for (const wat of WAT_SOURCES) {
      const built = await buildWasm(wat);
      expect(Buffer.from(built).equals(readFileSync(wat.replace(/\.wat$/, '.wasm'))), wat).toBe(true);
    }
  });

  it('logs are byte-identical with --kernels fast and --kernels reference (full and compact)', () => {
    for (const mode of ['full', 'compact']) {
      const paths = ['fast', 'reference'].map((k) => {
        const out = join(dir, `${mode}-${k}.weft`);
        const r = weft(['run', 'baseline', ...TINY_SETS, '--steps', '12', '--record', mode, '--set', 'record.keyframeEvery=5', '--out', out, '--quiet', '--kernels', k]);
        expect(r.code, r.stderr).toBe(0);
        return out;
      });
      expect(readFileSync(paths[0]).equals(readFileSync(paths[1])), `${mode}: fast and reference logs differ`).toBe(true);
      // and each implementation verifies the other's log
      expect(weft(['verify', paths[0], '--kernels', 'reference', '--quiet']).code).toBe(0);
    }
  });

  it('logs written by weft 0.1.0 with the reference kernels verify and replay with the fast ones', () => {
    for (const mode of ['full', 'compact', 'summary']) {
      const log = join(ROOT, 'tests/fixtures', `v0.1.0-micro-${mode}.weft`);
      const v = weft(['verify', log, '--quiet']);
      expect(v.code, `${mode}: ${v.stdout}${v.stderr}`).toBe(0);
      expect(v.stdout).toMatch(/reproduced — 6 steps re-executed/);
      expect(weft(['replay', log, '--to', '3']).code).toBe(0);
    }
  });

  it('a log whose header names an unknown numeric mode: one line, exit 2', () => {
    const cfg = validateConfig(mergeConfig(DEFAULT_CONFIG, { model: TINY, steps: 3, record: { mode: 'summary', keyframeEvery: 100 } }));
    const t = new Trainer(cfg);
    const header = { ...makeHeader('baseline', cfg, t), numericMode: 'float16-maybe' };
    const out = join(dir, 'unknown-mode.weft');
    const rec = new Recorder(LogWriter.create(out), header, t);
    rec.finish(runTraining(t, 3, [rec]), t);
    for (const args of [['verify', out], ['replay', out, '--to', '2'], ['fork', out, '--at', '1', '--out', join(dir, 'f.weft')]]) {
      const r = weft(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/numeric mode "float16-maybe" is not one this weft knows \(reference-f64acc-v1, reference-f32acc-v1\)/);
    }
    // reading needs no kernels: inspect shows the log, and says what it could not re-execute
    const inspect = weft(['inspect', out]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/not checked: the start keyframe against the step after it: numeric mode "float16-maybe" is not one this weft knows/);
  });

  it('logs are byte-identical with 1, 2 and 3 threads', () => {
    const paths = ['1', '2', '3'].map((n) => {
      const out = join(dir, `threads-${n}.weft`);
      const r = weft(['run', 'bench', '--steps', '3', '--record', 'full', '--out', out, '--quiet', '--threads', n]);
      expect(r.code, r.stderr).toBe(0);
      return out;
    });
    expect(readFileSync(paths[1]).equals(readFileSync(paths[0]))).toBe(true);
    expect(readFileSync(paths[2]).equals(readFileSync(paths[0]))).toBe(true);
    expect(weft(['run', 'bench', '--threads', '0']).stderr).toMatch(/--threads: expected a whole number ≥ 1, got 0/);
  });

  it('--kernels takes fast or reference, on every command', () => {
    const r = weft(['run', 'baseline', '--kernels', 'gpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kernels: expected one of fast, reference, got "gpu"/);
    expect(weft(['--help']).stdout).toMatch(/--kernels fast\|reference/);
  });
});
