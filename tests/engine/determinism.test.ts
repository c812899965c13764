import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/engine/trainer.ts';
import { tempDir } from '../log/helpers.ts';
import { PAPER_SCENARIOS, recordPaperScenario } from './paper-scenarios.ts';
import { hashBytes } from '../../src/engine/hash.ts';
import { fingerprint, ROOT, tinyConfig } from '../helpers.ts';

describe('determinism', () => {
  it('the same scenario twice in one process gives identical parameters, losses and masks', async () => {
    const a = await fingerprint('baseline', 4);
    const b = await fingerprint('baseline', 4);
    expect(a).toEqual(b);
  });

  it('two separate processes agree bit for bit with this one', async () => {
    const here = await fingerprint('baseline', 4);
    const runs = [0, 1].map(() => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'tests/fixtures/train-hash.ts', 'baseline', '4'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    });
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]).toEqual(here);
  });

  it('changing only dropout p keeps the initial weights and the data order', async () => {
    const a = await fingerprint('baseline', 2);
    const b = await fingerprint('baseline', 2, { model: { dropout: 0.3 } });
    expect(b.init).toBe(a.init);
    expect(b.batches).toBe(a.batches);
    expect(b.masks).not.toBe(a.masks);
  });

  it('changing the seed changes initial weights, data order and masks', async () => {
    const a = await fingerprint('baseline', 2);
    const b = await fingerprint('baseline', 2, { seed: 2 });
    expect(b.init).not.toBe(a.init);
    expect(b.batches).not.toBe(a.batches);
    expect(b.masks).not.toBe(a.masks);
  });

  it('a step record’s state hash is the state after that step, and reading it once the trainer moved on is an error', async () => {
    const t = new Trainer(await tinyConfig('baseline', 3));
    const first = t.step();
    const hash1 = first.stateHash;
    expect(hash1).toBe(t.stateHash());
    const second = t.step();
    expect(first.stateHash).toBe(hash1); // read before: kept
    expect(second.stateHash).not.toBe(hash1);
    const third = t.step();
    t.loadState(0, t.params, t.optim.m, t.optim.v, 0);
    expect(() => third.stateHash).toThrow(/read it before the next step/);
  });

  it('turning layer norm off leaves every other tensor’s initial values unchanged', async () => {
    const a = new Trainer(await tinyConfig('baseline', 1));
    const b = new Trainer(await tinyConfig('baseline', 1, { model: { layerNorm: false } }));
    for (const t of b.model.table.tensors) {
      const ta = a.model.table.byName.get(t.name)!;
      expect(hashBytes(b.params.subarray(t.offset, t.offset + t.size)), t.name).toBe(hashBytes(a.params.subarray(ta.offset, ta.offset + ta.size)));
    }
  });
});

// DESIGN rule 1 for the two papers' scenarios (issue 26): their shortened variant
// (paper-scenarios.ts) writes the same log bytes on the fast kernels with 1 and with 3 threads —
// their matrix products and attention are split at these shapes. In one process: well under a second each. Across
// runtimes: tests/engine/runtimes.test.ts; the fast kernels against the reference ones, call by
// call: tests/kernels/conformance.test.ts.
describe('the grokking and induction scenarios write byte-identical logs with 1 and 3 threads', () => {
  it.each(PAPER_SCENARIOS)('%s', async (name) => {
    const dir = tempDir();
    const logs: Buffer[] = [];
    for (const threads of [1, 3]) {
      const path = join(dir, `threads-${threads}.weft`);
      await recordPaperScenario(name, path, { implementation: 'fast', threads });
      logs.push(readFileSync(path));
    }
    expect(logs[0].length).toBeGreaterThan(100_000); // a header, keyframes, steps and evaluations
    expect(logs[1].equals(logs[0]), `${name}: the log with 3 threads differs from the one with 1`).toBe(true);
  });
});
