// Held-out evaluation (config.eval): eval records at the start, every `every` steps and at the
// end — the held-out split's and the training split's loss (and accuracy) from the exact state,
// dropout off. They change no bit of training, are what re-execution gives, survive a resume
// byte for byte, and are computed on examples no training batch holds.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { evaluate } from '../../src/data/metrics.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { crc32 } from '../../src/log/crc32.ts';
import { f64Bytes, f64From } from '../../src/log/format.ts';
import { pack, unpack } from '../../src/log/msgpack.ts';
import { openLog } from '../../src/log/reader.ts';
import type { EvalRecord } from '../../src/log/records.ts';
import { stateAt } from '../../src/replay/state.ts';
import { verifyLog } from '../../src/replay/verify.ts';
import { weft } from '../helpers.ts';
import { captureGoldenRun } from '../../src/golden/capture.ts';
import { compareGolden } from '../../src/golden/compare.ts';
import { goldenFloat } from '../../src/golden/format.ts';
import { readGolden } from '../../src/golden/store.ts';
import overfit from '../../scenarios/overfit.ts';
import { framesOf, pythonReaderAvailable, pythonReadJson, recordStopped, resumedLogsDiffering, tempDir } from '../log/helpers.ts';

const SMALL: DeepPartial<WeftConfig> = { model: { nLayers: 1, nHeads: 2, dModel: 8, dFF: 16, vocabSize: 0, contextLength: 8 }, data: { sentences: 60, batchSize: 4, trainFraction: 0.75 } };
const cfg = (over: DeepPartial<WeftConfig>) => validateConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, SMALL), over));
const EVAL = { every: 2, batches: 0 };

const record = (path: string, c: WeftConfig, stopAfter?: number) => recordStopped(path, c, 'eval-test', stopAfter);


/** The log with its file header and header record saying format 2 (CRC made right): a format that has no eval records. */
function asFormat2(path: string, out: string): string {
  const bytes = readFileSync(path);
  bytes.writeUInt32LE(2, 8);
  const log = openLog(path);
  const h = log.frames[0];
  log.close();
  const body = bytes.subarray(h.offset + 8, h.end);
  const header = unpack(body) as { format: number };
  header.format = 2;
  const changed = Buffer.from(pack(header));
  expect(changed.length).toBe(body.length);
  changed.copy(bytes, h.offset + 8);
  bytes.writeUInt32LE(crc32(changed), h.offset + 4);
  writeFileSync(out, bytes);
  return out;
}

describe('held-out evaluation', () => {
  it('changes no bit of training: step records, keyframes and state hashes equal a run without it, in every mode', () => {
    const dir = tempDir();
    for (const mode of ['full', 'compact', 'summary'] as const) {
      const off = join(dir, `off-${mode}.weft`);
      const on = join(dir, `on-${mode}.weft`);
      record(off, cfg({ steps: 5, record: { mode, keyframeEvery: 3 } }));
      record(on, cfg({ steps: 5, record: { mode, keyframeEvery: 3 }, eval: EVAL }));
      const a = framesOf(off);
      const b = framesOf(on);
      const training = [...a.keys()].filter((k) => /^(step|keyframe)/.test(k));
      expect(training.length).toBe(5 + 3);
      for (const k of training) expect(b.get(k)!.equals(a.get(k)!), `${mode} ${k}`).toBe(true);
      expect([...b.keys()].filter((k) => k.startsWith('eval'))).toEqual(['eval 0', 'eval 2', 'eval 4', 'eval 5']);
      expect([readFileSync(off).readUInt32LE(8), readFileSync(on).readUInt32LE(8)]).toEqual([1, 3]);
      const lb = openLog(on);
      expect(verifyLog(lb).ok).toBe(true);
      lb.close();
    }
  });

  it('its figures are the held-out and training splits evaluated from the state at that step, dropout off', () => {
    const path = join(tempDir(), 'figures.weft');
    const c = cfg({ steps: 4, record: { mode: 'compact', keyframeEvery: 100 }, eval: EVAL });
    record(path, c);
    const log = openLog(path);
    const evals = log.readEvals();
    expect(evals.map((e) => e.step)).toEqual([0, 2, 4]);
    const t = new Trainer(c);
    const heldOut = t.data.split.heldOut.length;
    expect(heldOut).toBeGreaterThan(0);
    for (const e of evals) {
      const s = stateAt(log, e.step);
      t.model.params.set(s.params);
      const h = evaluate(t.data, t.model, 'heldOut');
      expect(e.heldOut).toEqual({ examples: heldOut, counted: heldOut * 8, loss: h.loss, accuracy: null });
      // as many training batches as held-out ones, from the first
      const tr = evaluate(t.data, t.model, 'train', t.data.evalBatches('heldOut'));
      expect(e.train).toEqual({ examples: tr.examples, counted: tr.counted, loss: tr.loss, accuracy: null });
      expect(Number.isFinite(e.heldOut.loss) && e.heldOut.loss > 0).toBe(true);
    }
    // training moves both: the figures are not a constant
    expect(evals[2].heldOut.loss).not.toBe(evals[0].heldOut.loss);
    expect(evals[2].train.loss).not.toBe(evals[2].heldOut.loss);
    log.close();
  });

  it('held-out examples are windows no training batch holds (by content)', () => {
    const c = cfg({ steps: 1 });
    const t = new Trainer(c);
    const T = c.model.contextLength;
    const rows = (inputs: Int32Array) => Array.from({ length: inputs.length / T }, (_, b) => inputs.subarray(b * T, (b + 1) * T).join(','));
    const trained = new Set<string>();
    // two epochs of training batches
    const steps = Math.ceil((2 * t.data.split.train.length) / c.data.batchSize);
    for (let s = 1; s <= steps; s++) for (const r of rows(t.data.batch(s).inputs)) trained.add(r);
    const held: string[] = [];
    for (let i = 0; i < t.data.evalBatches('heldOut'); i++) {
      const b = t.data.evalBatch('heldOut', i);
      held.push(...rows(b.inputs).slice(0, Math.min(c.data.batchSize, t.data.split.heldOut.length - i * c.data.batchSize)));
    }
    expect(held.length).toBe(t.data.split.heldOut.length);
    // every training window seen, and only those (two of the story's windows may read the same)
    const trainWindows = new Set<string>();
    for (let i = 0; i < t.data.evalBatches('train'); i++) for (const r of rows(t.data.evalBatch('train', i).inputs).slice(0, t.data.split.train.length - i * c.data.batchSize)) trainWindows.add(r);
    expect([...trained].sort()).toEqual([...trainWindows].sort());
    for (const r of held) expect(trained.has(r), r).toBe(false);
  });

  it('eval.batches is at most: more than a split has evaluates all of it (the record says how many)', () => {
    const dir = tempDir();
    const few = join(dir, 'few.weft');
    const many = join(dir, 'many.weft');
    record(few, cfg({ steps: 2, eval: { every: 2, batches: 1 } }));
    record(many, cfg({ steps: 2, eval: { every: 2, batches: 1000 } }));
    const [a, b] = [few, many].map((p) => {
      const log = openLog(p);
      const e = log.readEvals();
      log.close();
      return e;
    });
    const t = new Trainer(cfg({ steps: 2 }));
    expect(a[0].heldOut.examples).toBe(4);
    expect(b[0].heldOut.examples).toBe(t.data.split.heldOut.length);
    expect(b[0].heldOut.examples).toBeGreaterThan(4);
  });

  it('a resumed run writes the evaluations an uninterrupted one does, byte for byte', () => {
    const c = cfg({ steps: 7, record: { mode: 'compact', keyframeEvery: 3 }, eval: { every: 2, batches: 1 }, probe: { every: 3 } });
    expect(resumedLogsDiffering(tempDir(), c, 'eval-test', [2, 3, 4, 6]), 'interrupted after these steps').toEqual([]);
  });

  it.runIf(pythonReaderAvailable)('the Python reader reads them: the same figures, and an eval record in a format-2 log is corruption', () => {
    const dir = tempDir();
    const path = join(dir, 'py.weft');
    record(path, cfg({ steps: 3, record: { mode: 'compact', keyframeEvery: 100 }, eval: EVAL }));
    const log = openLog(path);
    const mine = log.readEvals();
    log.close();
    const old = asFormat2(path, join(dir, 'format2.weft'));
    const [py, py2] = pythonReadJson([path, old]);
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout).evaluations).toEqual(mine);
    expect(py2.code).toBe(3);
    expect(py2.stderr).toMatch(/corrupt at byte \d+ \(record 2\): an eval record in a format-2 log/);
  });

  it('an eval record in a log of a format before evaluations is corruption, with its offset', () => {
    const dir = tempDir();
    const path = join(dir, 'ts.weft');
    record(path, cfg({ steps: 2, record: { mode: 'compact', keyframeEvery: 100 }, eval: EVAL }));
    const r = weft(['inspect', asFormat2(path, join(dir, 'format2.weft'))]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/corrupt at byte \d+ \(record 2\): an eval record in a format-2 log \(evaluations came with format 3\)/);
  });

  it('verify recomputes them: a changed eval record is a difference (exit 1) naming it', () => {
    const path = join(tempDir(), 'changed.weft');
    record(path, cfg({ steps: 4, record: { mode: 'compact', keyframeEvery: 100 }, eval: EVAL }));
    const log = openLog(path);
    const frame = log.evalFrames.find((f) => f.step === 2)!;
    log.close();
    // the held-out loss one ulp up, the frame's CRC made right: intact, and wrong
    const bytes = readFileSync(path);
    const body = bytes.subarray(frame.offset + 8, frame.end);
    const rec = unpack(body) as EvalRecord;
    const loss = f64From(rec.heldOut.loss);
    const up = new Float64Array([loss]);
    new BigInt64Array(up.buffer)[0] += 1n;
    rec.heldOut.loss = f64Bytes(up[0]);
    const changed = Buffer.from(pack(rec));
    expect(changed.length).toBe(body.length);
    changed.copy(bytes, frame.offset + 8);
    bytes.writeUInt32LE(crc32(changed), frame.offset + 4);
    writeFileSync(path, bytes);
    const r = weft(['verify', path]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/step 2/);
    expect(r.stdout + r.stderr).toMatch(/eval\.heldOut\.loss/);
    expect(r.stdout + r.stderr).toContain(String(up[0]));
  });

  it('the overfit scenario: its golden holds the turn of the held-out curve, and a changed evaluation fails it', () => {
    const { golden, run } = captureGoldenRun(overfit);
    const at = (step: number) => golden.evaluations!.find((e) => e.step === step)!;
    expect(golden.evaluations!.map((e) => e.step)).toEqual([0, 4, 8, 12, 16, 20, 24]);
    // held-out lowest at step 20, higher at 24, while the training split's keeps falling
    expect(at(24).heldOut.loss.value).toBeGreaterThan(at(20).heldOut.loss.value as number);
    expect(at(16).heldOut.loss.value).toBeGreaterThan(at(20).heldOut.loss.value as number);
    expect(at(24).train.loss.value).toBeLessThan(at(20).train.loss.value as number);
    expect(overfit.expectations.map((e) => e.check(run))).toEqual([true, true, true]);
    const stored = readGolden(new URL('../../snapshots/overfit.golden.json', import.meta.url).pathname)!;
    expect(compareGolden(stored, golden).pass).toBe(true);
    // one ulp of one held-out loss: a mismatch at that step, naming the figure
    const changed = structuredClone(stored);
    const x = new Float64Array([changed.evaluations![5].heldOut.loss.value as number]);
    new BigInt64Array(x.buffer)[0] += 1n;
    changed.evaluations![5].heldOut.loss = goldenFloat(x[0]);
    const report = compareGolden(changed, golden);
    expect(report.pass).toBe(false);
    expect(report.first).toMatchObject({ step: 20, field: 'eval.heldOut.loss' });
  });

  it('bad input: no held-out split, an interval of 0 — one line naming the key, exit 2, nothing written', () => {
    const dir = tempDir();
    for (const [sets, message] of [
      [['data.trainFraction=1', 'eval.every=2'], /eval: evaluation needs held-out examples: set data.trainFraction below 1/],
      [['eval.every=0'], /eval\.every: must be >= 1/],
    ] as const) {
      const out = join(dir, `${sets.join('_')}.weft`);
      const r = weft(['run', 'baseline', '--model', 'tiny', '--steps', '2', ...sets.flatMap((s) => ['--set', s]), '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(() => readFileSync(out)).toThrow();
    }
  });

  it('--no-log evaluates too: the same evaluations as the log would hold, for the summary and the expectations', () => {
    const dir = tempDir();
    const out = join(dir, 'overfit.weft');
    const logged = weft(['run', 'overfit', '--steps', '24', '--out', out, '--quiet', '--json']);
    const bare = weft(['run', 'overfit', '--steps', '24', '--no-log', '--quiet', '--json']);
    expect([logged.code, bare.code], bare.stderr).toEqual([0, 0]);
    const [a, b] = [JSON.parse(logged.stdout), JSON.parse(bare.stdout)];
    expect(b.evaluations).toHaveLength(7);
    expect(b.evaluations).toEqual(a.evaluations);
    expect(b.expectations).toEqual(a.expectations);
    expect(b.expectations.every((e: { ok: boolean }) => e.ok)).toBe(true);
  });

  it('the run and inspect print train and held-out loss; --json holds every evaluation', () => {
    const dir = tempDir();
    const out = join(dir, 'run.weft');
    const r = weft(['run', 'baseline', '--model', 'tiny', '--steps', '4', '--set', 'data.trainFraction=0.9', '--set', 'eval.every=2', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^held-out loss \d\.\d{4} → \d\.\d{4} · train \d\.\d{4} → \d\.\d{4} \(3 evaluations, steps 0…4, \d+ held-out examples\)$/m);
    const j = weft(['inspect', out, '--json']);
    const s = JSON.parse(j.stdout);
    expect(s.evaluations.map((e: { step: number }) => e.step)).toEqual([0, 2, 4]);
    const log = openLog(out);
    expect(s.evaluations[2].heldOut.loss).toBe(log.readEvals()[2].heldOut.loss);
    log.close();
    expect(weft(['inspect', out]).stdout).toMatch(/^ {2}held-out loss /m);
  });
});
