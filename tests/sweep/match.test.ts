// A sweep's "finished" test: a log counts as its run's result only when it is that run's log
// (scenario, whole config, seed, steps) and closed with an end record; another run's log stops
// the sweep, with the log and the first difference named, and is never overwritten unasked.
import { readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applySets, type WeftConfig } from '../../src/config/config.ts';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { openLog } from '../../src/log/reader.ts';
import { Recorder } from '../../src/engine/recorder.ts';
import { logOutcome } from '../../src/sweep/execute.ts';
import { readManifest } from '../../src/sweep/manifest.ts';
import type { SweepPlan } from '../../src/sweep/plan.ts';
import { sweepPlan } from '../../src/sweep/sweep.ts';
import { weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

/** Records `scenario` with `config` in-process, training until `untilStep` (default: config.steps). */
function record(path: string, scenario: string, config: WeftConfig, untilStep = config.steps): void {
  const t = new Trainer(config);
  const rec = Recorder.create(path, scenario, config, t, { overwrite: true });
  rec.finish(runTraining(t, untilStep, [rec]), t);
}

describe('a sweep run’s log is its result only when it is that run’s', () => {
  let plan: SweepPlan;
  const dir = tempDir();
  beforeAll(async () => {
    plan = await sweepPlan({ scenario: 'baseline', model: 'tiny', steps: 3, seeds: [1, 2], grid: [], sets: [] });
  });
  const outcome = (name: string, scenario: string, config: WeftConfig, untilStep?: number) => {
    const path = join(dir, `${name}.weft`);
    record(path, scenario, config, untilStep);
    return logOutcome(path, plan, plan.runs[0]);
  };

  it('the run’s own log is finished', () => {
    const o = outcome('own', 'baseline', plan.runs[0].config);
    expect([o.kind, o.fields.status, o.fields.steps, o.problem]).toEqual(['finished', 'complete', 3, null]);
  });

  it('another scenario, seed, config or step count is a mismatch naming the first difference', () => {
    const run = plan.runs[0].config;
    const cases: [string, string, WeftConfig, number | undefined, RegExp][] = [
      ['scenario', 'no-residuals', run, undefined, /it is a run of scenario no-residuals, the sweep's is baseline/],
      ['seed', 'baseline', plan.runs[1].config, undefined, /its seed is 2, the run's is 1/],
      ['steps', 'baseline', applySets(run, ['steps=4']), undefined, /its config has steps 4, the run's 3/],
      ['lr', 'baseline', applySets(run, ['optim.lr=0.002']), undefined, /its config has optim\.lr 0\.002, the run's 0\.001/],
      ['record', 'baseline', applySets(run, ['record.mode=full']), undefined, /its config has record\.mode "full", the run's "summary"/],
      // a log that says it completed, though it holds fewer steps than its config (and the run) has
      ['short', 'baseline', run, 2, /it completed after 2 steps, the run has 3/],
      ['long', 'baseline', run, 4, /it holds steps up to 4, the run has 3/],
    ];
    for (const [name, scenario, config, until, message] of cases) {
      const o = outcome(name, scenario, config, until);
      expect(o.kind, name).toBe('mismatch');
      expect(o.problem?.message, name).toMatch(message);
      expect(o.problem?.message, name).toContain(`${name}.weft: not the sweep's run seed=1: `);
      expect(o.problem?.exitCode, name).toBe(2);
    }
  });

  it('a run killed between its end record and its index is to be resumed: neither finished nor failed', () => {
    const path = join(dir, 'closing.weft');
    record(path, 'baseline', plan.runs[0].config);
    const log = openLog(path);
    const endAt = log.endFrame!.end;
    log.close();
    truncateSync(path, endAt); // the index and trailer never written
    const o = logOutcome(path, plan, plan.runs[0]);
    expect([o.kind, o.fields.status, o.fields.steps, o.problem]).toEqual(['resume', 'incomplete', 3, null]);
    // and one killed inside its index frame (a torn tail after the end record)
    record(path, 'baseline', plan.runs[0].config);
    truncateSync(path, endAt + 20);
    expect(logOutcome(path, plan, plan.runs[0]).kind).toBe('resume');
  });
});

describe('weft sweep over a folder of leftover logs (its sweep.json deleted)', () => {
  it('stops at another run’s log with one line, exit 2, the log untouched; --force re-runs over it', () => {
    const dir = tempDir();
    const first = weft(['sweep', 'baseline', '--model', 'tiny', '--steps', '3', '--seeds', '1', '--out', dir, '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    rmSync(join(dir, 'sweep.json'));
    const log = join(dir, 'runs', 'seed=1.weft');
    const bytes = readFileSync(log);
    for (const [flags, difference] of [
      [['--steps', '4'], "its config has steps 3, the run's 4"],
      [['--steps', '3', '--set', 'optim.lr=0.01'], "its config has optim.lr 0.001, the run's 0.01"],
    ] as const) {
      const r = weft(['sweep', 'baseline', '--model', 'tiny', '--seeds', '1', ...flags, '--out', dir, '--quiet']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`weft sweep: ${log}: not the sweep's run seed=1: ${difference}; move it away, or run the sweep with --force to re-run over it\n`);
      expect(readFileSync(log).equals(bytes)).toBe(true);
      expect(readManifest(dir)).toBeNull();
    }
    const forced = weft(['sweep', 'baseline', '--model', 'tiny', '--steps', '4', '--seeds', '1', '--out', dir, '--quiet', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readManifest(dir)!.runs.map((r) => [r.status, r.steps])).toEqual([['complete', 4]]);
    const again = weft(['sweep', 'baseline', '--model', 'tiny', '--steps', '4', '--seeds', '1', '--out', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('1/1 done (1 already)');
  });
});
