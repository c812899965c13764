import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { parseSeeds, parseShard, planSweep, runId, shardOf, SWEEP_RUNS_MAX } from '../../src/sweep/plan.ts';
import { readManifest, type SweepManifest } from '../../src/sweep/manifest.ts';
import { PATIENCE_MS, ROOT, weft } from '../helpers.ts';
import { logPaths } from '../../src/cli/view.ts';
import { tempDir } from '../log/helpers.ts';
import { openLog } from '../../src/log/reader.ts';

// the acceptance sweep: 2 seeds × 2 learning rates on the tiny model
const SWEEP = ['sweep', 'baseline', '--model', 'tiny', '--steps', '6', '--seeds', '1-2', '--grid', 'optim.lr=0.001,0.003'];
const manifestText = (dir: string) => readFileSync(join(dir, 'sweep.json'), 'utf8');

describe('sweep plans', () => {
  it('run ids and order come from the settings, not from the order of flags', () => {
    const a = planSweep({ scenario: 'baseline', seeds: [2, 1], grid: [{ key: 'optim.lr', values: ['0.003', '0.001'] }, { key: 'model.residual', values: ['false', 'true'] }], sets: [] }, DEFAULT_CONFIG);
    const b = planSweep({ scenario: 'baseline', seeds: [1, 2], grid: [{ key: 'model.residual', values: ['true', 'false'] }, { key: 'optim.lr', values: ['0.001', '0.003'] }], sets: [] }, DEFAULT_CONFIG);
    expect(a.sweepId).toBe(b.sweepId);
    expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id));
    expect(a.runs.map((r) => r.id).slice(0, 4)).toEqual(['model.residual=false,optim.lr=0.001,seed=1', 'model.residual=false,optim.lr=0.003,seed=1', 'model.residual=true,optim.lr=0.001,seed=1', 'model.residual=true,optim.lr=0.003,seed=1']);
    expect(a.runs[0].settings).toEqual({ seed: 1, 'model.residual': false, 'optim.lr': 0.001 });
    expect(a.runs).toHaveLength(8);
    expect(new Set(a.runs.map((r) => r.id)).size).toBe(8);
    // another base config is another sweep
    expect(planSweep({ ...a.spec, sets: [] }, { ...DEFAULT_CONFIG, steps: 7 }).sweepId).not.toBe(a.sweepId);
  });

  it('shards partition the runs: every run in exactly one shard, whatever the count', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 9 }), (total, n) => {
      const runs = Array.from({ length: total }, (_, i) => i);
      const parts = Array.from({ length: n }, (_, i) => shardOf(runs, { index: i + 1, count: n }));
      expect(parts.flat().sort((x, y) => x - y)).toEqual(runs);
      for (const p of parts) expect(p.length).toBeLessThanOrEqual(Math.ceil(total / n));
    }));
  });

  it('parses seeds, shards and ids; refuses what is wrong', () => {
    expect(parseSeeds('1-3,9,2')).toEqual([1, 2, 3, 9]);
    expect(() => parseSeeds('3-1')).toThrow(/low to high/);
    expect(() => parseSeeds('a')).toThrow(/expected seeds/);
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('3/2')).toThrow(/between 1 and n/);
    expect(() => parseShard('0/2')).toThrow(/between 1 and n/);
    expect(runId({ seed: 1, 'data.corpus': 'random' })).toBe('data.corpus=random,seed=1');
    expect(runId({ seed: 1, 'x': 'a/b' })).toMatch(/^run-[0-9a-f]{16}$/); // not a safe file name
  });
});

describe('the bound on a sweep’s size', () => {
  const lrs = Array.from({ length: 100 }, (_, i) => String((i + 1) / 1e4));
  it('plans up to 10,000 runs; more is one line and exit 2, counted before anything is built', () => {
    const dir = tempDir();
    const over = weft(['sweep', 'baseline', '--seeds', '1-101', '--grid', `optim.lr=${lrs.join(',')}`, '--out', dir, '--dry-run']);
    expect(over.code, over.stderr).toBe(2);
    expect(over.stderr).toBe('weft sweep: the sweep plans 101 seeds × 100 optim.lr = 10,100 runs, more than the 10,000 one sweep holds (it rewrites its manifest after every run); split it into several sweeps, e.g. by --seeds, each with its own --out\n');
    expect(SWEEP_RUNS_MAX).toBe(10_000);
    const seeds = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(planSweep({ scenario: 'baseline', seeds, grid: [{ key: 'optim.lr', values: lrs }], sets: [] }, DEFAULT_CONFIG).runs).toHaveLength(10_000);
    // ten axes of ten values: 10^10 runs, refused without enumerating them
    const axes = ['optim.lr', 'optim.beta1', 'optim.beta2', 'optim.eps', 'optim.weightDecay', 'clip.maxNorm', 'model.dropout', 'model.initStd', 'schedule.minLrRatio', 'schedule.warmupSteps'];
    const grid = axes.map((key) => ({ key, values: Array.from({ length: 10 }, (_, i) => String(i / 100)) }));
    expect(() => planSweep({ scenario: 'baseline', seeds: [1], grid, sets: [] }, DEFAULT_CONFIG)).toThrow(/= 10,000,000,000 runs, more than the 10,000/);
  });

  it('a grid over steps or record.mode with --steps or --record is refused (weft run would apply the flag over the grid)', () => {
    const dir = tempDir();
    for (const [args, message] of [
      [['--steps', '4', '--grid', 'steps=2,3'], '--grid steps: the steps are also given by --steps; give one of them'],
      [['--record', 'full', '--grid', 'record.mode=summary,compact'], '--grid record.mode: the mode is also given by --record; give one of them'],
    ]) {
      const r = weft(['sweep', 'baseline', ...args, '--out', dir, '--dry-run']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`weft sweep: ${message}\n`);
    }
  });
});

describe('weft sweep', () => {
  it('--jobs 2, and two shards merged: the same manifest; every log byte-identical to its weft run by hand', async () => {
    const dir = tempDir();
    const all = join(dir, 'all');
    const r = weft([...SWEEP, '--jobs', '2', '--out', all]);
    expect(r.code, r.stderr).toBe(0);
    const m = readManifest(all)!;
    expect(m.runs.map((x) => [x.id, x.status, x.steps])).toEqual([
      ['optim.lr=0.001,seed=1', 'complete', 6], ['optim.lr=0.003,seed=1', 'complete', 6], ['optim.lr=0.001,seed=2', 'complete', 6], ['optim.lr=0.003,seed=2', 'complete', 6],
    ]);
    // shards with their flags in another order
    const s1 = weft(['sweep', 'baseline', '--grid', 'optim.lr=0.003,0.001', '--seeds', '2,1', '--steps', '6', '--model', 'tiny', '--shard', '1/2', '--jobs', '1', '--out', join(dir, 's1')]);
    const s2 = weft([...SWEEP, '--shard', '2/2', '--out', join(dir, 's2')]);
    expect([s1.code, s2.code], s1.stderr + s2.stderr).toEqual([0, 0]);
    expect(readManifest(join(dir, 's1'))!.runs).toHaveLength(2);
    const merged = weft(['sweep', 'merge', join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(manifestText(join(dir, 'merged'))).toBe(manifestText(all));
    // weft view on the sweep's folder opens its runs, in the manifest's order
    expect(await logPaths([all])).toEqual(m.runs.map((x) => join(all, x.log)));
    for (const run of m.runs) {
      const hand = join(dir, `hand-${run.id}.weft`);
      const by = weft([...run.command.split(' ').slice(1), '--out', hand, '--quiet']);
      expect(by.code, by.stderr).toBe(0);
      const bytes = readFileSync(hand);
      expect(readFileSync(join(all, run.log)).equals(bytes), run.id).toBe(true);
      expect(readFileSync(join(dir, 'merged', run.log)).equals(bytes), run.id).toBe(true);
    }
  });

  it('a sweep killed midway, run again, completes without re-running finished runs; its logs equal an uninterrupted sweep’s', async () => {
    const dir = tempDir();
    const args = ['sweep', 'baseline', '--model', 'tiny', '--steps', '120', '--seeds', '1-3', '--jobs', '1'];
    const whole = weft([...args, '--out', join(dir, 'whole')]);
    expect(whole.code, whole.stderr).toBe(0);
    for (const how of ['SIGTERM', 'SIGKILL'] as const) {
      const out = join(dir, `killed-${how}`);
      const child = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, ...args, '--out', out], { cwd: ROOT, stdio: 'ignore' });
      const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      // once the first run is complete and the second is training
      await waitFor(() => {
        const m = existsSync(join(out, 'sweep.json')) ? readManifest(out) : null;
        return Boolean(m && m.runs[0].status === 'complete' && existsSync(join(out, `${m.runs[1].log}.lock`)));
      });
      await new Promise((r) => setTimeout(r, 200));
      if (how === 'SIGKILL') {
        // the whole job dies at once, as when a machine goes: the sweep and the run it started
        const pids = readdirSync(join(out, 'runs')).filter((x) => x.endsWith('.lock')).map((f) => JSON.parse(readFileSync(join(out, 'runs', f), 'utf8')).pid as number);
        expect(pids).toHaveLength(1);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        child.kill('SIGKILL');
        await waitFor(() => pids.every((pid) => !alive(pid)));
      } else child.kill('SIGTERM');
      const code = await closed;
      if (how === 'SIGTERM') expect(code).toBe(143);
      const before = readManifest(out)!;
      expect(before.runs.map((x) => x.status)).toContain('pending');
      const firstLog = join(out, before.runs[0].log);
      const mtime = statSync(firstLog).mtimeMs;
      const again = weft([...args, '--out', out]);
      expect(again.code, again.stderr + JSON.stringify(readManifest(out)!.runs.map((x) => x.error))).toBe(0);
      expect(statSync(firstLog).mtimeMs).toBe(mtime); // finished: not run again
      expect(manifestText(out)).toBe(manifestText(join(dir, 'whole')));
      for (const run of before.runs) expect(readFileSync(join(out, run.log)).equals(readFileSync(join(dir, 'whole', run.log))), `${how} ${run.id}`).toBe(true);
    }
  });

  it('a run that stops on NaN/Inf is a result: diverged, with its step, exit 0; the report lists it', () => {
    const dir = tempDir();
    const r = weft(['sweep', 'exploding-gradients', '--model', 'tiny', '--seeds', '1-2', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const m = readManifest(dir)!;
    expect(m.runs.map((x) => x.status)).toEqual(['diverged', 'diverged']);
    expect(m.runs[0].anomaly!.step).toBeGreaterThan(1);
    const j = JSON.parse(weft(['sweep', 'report', dir, '--json']).stdout);
    expect(j.divergences.map((d: { seed: number; step: number }) => [d.seed, d.step])).toEqual(m.runs.map((x) => [x.settings.seed, x.anomaly!.step]));
  });

  it('a run killed between its end record and its index is completed by the next sweep (resume writes the index), byte for byte', () => {
    const dir = tempDir();
    const args = ['sweep', 'baseline', '--model', 'tiny', '--steps', '3', '--seeds', '1', '--out', dir, '--quiet'];
    expect(weft(args).code).toBe(0);
    const log = join(dir, readManifest(dir)!.runs[0].log);
    const whole = readFileSync(log);
    const r = openLog(log);
    const endAt = r.frames.find((f) => f.kind === 'end')!.end;
    r.close();
    writeFileSync(log, whole.subarray(0, endAt));
    const again = weft(args);
    expect(again.code, again.stderr).toBe(0);
    expect(readManifest(dir)!.runs[0].status).toBe('complete');
    expect(readFileSync(log).equals(whole)).toBe(true);
  });

  it('sweep report checks what it draws: a damaged, missing or swapped log is refused (3, 3, 2), never drawn as numbers', () => {
    const dir = tempDir();
    expect(weft(['sweep', 'baseline', '--model', 'tiny', '--steps', '2', '--seeds', '1-2', '--out', dir, '--quiet']).code).toBe(0);
    expect(weft(['sweep', 'report', dir, '--json']).code).toBe(0);
    const [a, b] = readManifest(dir)!.runs.map((r) => join(dir, r.log));
    const bytesA = readFileSync(a);
    const flipped = Buffer.from(bytesA);
    flipped[Math.floor(flipped.length / 2)] ^= 1;
    writeFileSync(a, flipped);
    const damaged = weft(['sweep', 'report', dir, '--json']);
    expect(damaged.code).toBe(3);
    expect(damaged.stderr).toMatch(/seed=1\.weft: corrupt at byte \d+/);
    unlinkSync(a);
    const missing = weft(['sweep', 'report', dir, '--json']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/seed=1\.weft: no such file, though .*sweep\.json says complete after 2 steps/);
    writeFileSync(a, readFileSync(b));
    const swapped = weft(['sweep', 'report', dir, '--json']);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toMatch(/seed=1\.weft: .*seed/);
    writeFileSync(a, bytesA);
    expect(weft(['sweep', 'report', dir, '--json']).code).toBe(0);
  });

  it('a run whose log was deleted (its report files left) runs again: the sweep owns its folder', () => {
    const dir = tempDir();
    const args = ['sweep', 'baseline', '--model', 'tiny', '--steps', '2', '--seeds', '1', '--out', dir, '--quiet'];
    expect(weft(args).code).toBe(0);
    const m = readManifest(dir)!;
    const log = join(dir, m.runs[0].log);
    const bytes = readFileSync(log);
    unlinkSync(log);
    expect(existsSync(log.replace(/\.weft$/, '.report.json'))).toBe(true);
    const r = weft(args);
    expect(r.code, r.stderr).toBe(0);
    expect(readManifest(dir)!.runs[0].status).toBe('complete');
    expect(readFileSync(log).equals(bytes)).toBe(true);
  });

  it('bad input is one line and exit 2: an unknown grid key, an empty grid, --shard 3/2, shards of different sweeps', () => {
    const dir = tempDir();
    const cases: [string[], RegExp][] = [
      [['sweep', 'baseline', '--grid', 'optim.lrr=0.1,0.2', '--out', dir], /optim\.lrr: unknown config key under optim/],
      [['sweep', 'baseline', '--grid', 'optim.lr=', '--out', dir], /--grid optim\.lr: an empty value/],
      [['sweep', 'baseline', '--grid', 'optim.lr=0.1,0.1', '--out', dir], /given twice/],
      [['sweep', 'baseline', '--shard', '3/2', '--out', dir], /--shard 3\/2: i must be between 1 and n \(1…2\)/],
      [['sweep', 'baseline', '--grid', 'optim.lr=0.1,-1', '--out', dir], /optim\.lr/],
      [['sweep', 'baseline', '--seeds', '1-2'], /--out DIR is required/],
      [['sweep', 'nope', '--out', dir], /unknown scenario "nope"/],
    ];
    for (const [args, message] of cases) {
      const r = weft(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')[0]).toMatch(message);
    }
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    expect(weft([...SWEEP, '--steps', '2', '--shard', '1/2', '--out', a]).code).toBe(0);
    expect(weft([...SWEEP, '--steps', '3', '--shard', '2/2', '--out', b]).code).toBe(0);
    const m = weft(['sweep', 'merge', a, b, '--out', join(dir, 'm')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/a shard of another sweep than .*\(sweepId/);
    const twice = weft(['sweep', 'merge', a, a, '--out', join(dir, 'm')]);
    expect(twice.stderr).toMatch(/shard 1\/2 given twice/);
    const missing = weft(['sweep', 'merge', a, '--out', join(dir, 'm')]);
    expect(missing.stderr).toMatch(/shard 2\/2 missing/);
    // the same folder for another sweep is refused, not mixed
    const other = weft(['sweep', 'baseline', '--model', 'tiny', '--steps', '2', '--shard', '1/2', '--out', a]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds another sweep/);
    // a damaged manifest names its field
    const broken = JSON.parse(readFileSync(join(a, 'sweep.json'), 'utf8')) as SweepManifest;
    (broken.runs[0] as { status: string }).status = 'done';
    writeFileSync(join(a, 'sweep.json'), JSON.stringify(broken));
    const bad = weft(['sweep', 'report', a]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/sweep\.json: field runs\.0\.status: must be equal to one of the allowed values/);
  });
});

/** Whether a process is still there (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(ok: () => boolean, timeoutMs = PATIENCE_MS): Promise<void> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
