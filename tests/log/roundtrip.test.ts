import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { stateAt, type ReplayCost } from '../../src/replay/state.ts';
import { stepMasks, stepView } from '../../src/log/steps.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { hashBytes } from '../../src/engine/hash.ts';
import { WEFT_VERSION } from '../../src/version.ts';
import { readFileSync } from 'node:fs';
import { config, recordRun, tempDir } from './helpers.ts';
import { TINY } from '../../src/config/config.ts';

const dir = tempDir();
const base = { model: TINY, steps: 13, record: { keyframeEvery: 5 } } as const;

describe('recorded logs read back exactly', () => {
  const full = join(dir, 'full.weft');
  const compact = join(dir, 'compact.weft');
  const summary = join(dir, 'summary.weft');
  const runFull = recordRun(full, config({ ...base, record: { ...base.record, mode: 'full' } }));
  const runCompact = recordRun(compact, config({ ...base, record: { ...base.record, mode: 'compact' } }));
  recordRun(summary, config({ ...base, record: { ...base.record, mode: 'summary' } }));

  it('recording mode does not change training', () => {
    expect(runCompact.hashes).toEqual(runFull.hashes);
  });

  it('header, step records and end record hold what the run produced', () => {
    const log = openLog(full);
    expect(log.indexed).toBe(true);
    expect(log.header.weft).toBe(WEFT_VERSION);
    expect(log.header.params.map((p) => p.name).slice(0, 3)).toEqual(['tok_emb.weight', 'pos_emb.weight', 'blocks.0.ln1.weight']);
    expect(log.stepNumbers).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(log.keyframeSteps).toEqual([0, 5, 10, 13]);
    const t = new Trainer(log.header.config);
    for (let s = 1; s <= 13; s++) {
      const r = t.step();
      const v = stepView(log.readStep(s));
      expect(v.loss).toBe(r.loss);
      expect(v.lr).toBe(r.lr);
      expect(Array.from(v.gradNormPerTensor)).toEqual(Array.from(r.gradNorm.perTensor));
      expect(v.clipFactor).toBe(r.clipFactor);
      expect(Array.from(v.inputs)).toEqual(Array.from(r.inputs));
      expect(v.stateHash).toBe(r.stateHash);
      const masks = stepMasks(log.header, log.readStep(s))!;
      for (const [site, keep] of r.masks!) expect(hashBytes(masks.get(site)!), site).toBe(hashBytes(keep));
    }
    expect(log.readEnd()).toMatchObject({ reason: 'completed', steps: 13, stateHash: runFull.hashes[13] });
    log.close();
  });

  it('stateAt returns every step’s state bit for bit, from full, compact and summary logs', () => {
    for (const path of [full, compact, summary]) {
      const log = openLog(path);
      for (let n = 0; n <= 13; n++) {
        const s = stateAt(log, n);
        expect(s.stateHash, `${path} step ${n}`).toBe(runFull.hashes[n]);
        expect(hashBytes(s.params)).toBe(hashBytes(runFull.params[n]));
      }
      log.close();
    }
  });

  it('full logs step backwards from the next keyframe when it is nearer', () => {
    const log = openLog(full);
    const cost = {} as ReplayCost;
    stateAt(log, 9, cost);
    expect(cost).toEqual({ fromKeyframe: 10, stepsApplied: -1, method: 'deltas' });
    stateAt(log, 6, cost);
    expect(cost).toEqual({ fromKeyframe: 5, stepsApplied: 1, method: 'deltas' });
    log.close();
  });

  it('compact masks are regenerated from the seed and equal the recorded ones', () => {
    const a = openLog(full);
    const b = openLog(compact);
    expect(b.readStep(4).masks).toBeNull();
    const ma = stepMasks(a.header, a.readStep(4))!;
    const mb = stepMasks(b.header, b.readStep(4))!;
    for (const site of a.header.dropoutSites) expect(hashBytes(mb.get(site)!)).toBe(hashBytes(ma.get(site)!));
    a.close();
    b.close();
  });

  it('the same run writes byte-identical logs', () => {
    const again = join(dir, 'again.weft');
    recordRun(again, config({ ...base, record: { ...base.record, mode: 'full' } }));
    expect(readFileSync(again).equals(readFileSync(full))).toBe(true);
  });

  it('WEFT_VERSION matches package.json', () => {
    expect(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version).toBe(WEFT_VERSION);
  });
});

describe('the public reader API', () => {
  it('openLog, header, steps() in order, step(n), from src/index.ts', async () => {
    const api = await import('../../src/index.ts');
    const path = join(dir, 'api.weft');
    recordRun(path, config({ model: TINY, steps: 3 }));
    const log = api.openLog(path);
    expect(log.header.scenario).toBe('test');
    const views = [...log.steps()];
    expect(views.map((v) => v.step)).toEqual([1, 2, 3]);
    expect(log.step(2).loss).toBe(views[1].loss);
    expect(api.stateAt(log, 3).step).toBe(3);
    log.close();
  });
});
