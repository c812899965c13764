import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';
import { PAPER_SCENARIOS, PAPER_STEPS, recordPaperScenario } from './paper-scenarios.ts';

/**
 * DESIGN rule 1: the same scenario and seed give a byte-identical log on every supported runtime.
 * The other runtimes' binaries come from the npm registry (.ci/run fetches Node 22 and 24, Bun
 * and Deno into a folder outside the work tree and names them): WEFT_OTHER_NODES (colon-separated
 * Node binaries), WEFT_BUN, WEFT_DENO. In CI a missing one is a failure; elsewhere the test runs
 * with those that are set.
 */
const listed = [
  ...(process.env.WEFT_OTHER_NODES ?? '').split(':').filter((p) => p).map((bin) => ({ bin, args: [] as string[] })),
  ...(process.env.WEFT_BUN ? [{ bin: process.env.WEFT_BUN, args: [] as string[] }] : []),
  // Deno runs the sources itself, with every permission a CLI that reads and writes files needs
  ...(process.env.WEFT_DENO ? [{ bin: process.env.WEFT_DENO, args: ['run', '-A'] }] : []),
];
const others = listed.filter((r) => existsSync(r.bin));

// in CI a missing runtime is a failure, not a skip: the rule would otherwise go untested
describe.runIf(process.env.CI)('CI provides the other runtimes', () => {
  it('WEFT_OTHER_NODES, WEFT_BUN and WEFT_DENO name binaries that exist', () => {
    expect(process.env.WEFT_OTHER_NODES, 'WEFT_OTHER_NODES is not set (.ci/run sets it)').toBeTruthy();
    expect(process.env.WEFT_BUN, 'WEFT_BUN is not set (.ci/run sets it)').toBeTruthy();
    expect(process.env.WEFT_DENO, 'WEFT_DENO is not set (.ci/run sets it)').toBeTruthy();
    expect(listed.filter((r) => !existsSync(r.bin)).map((r) => r.bin), 'these runtime binaries do not exist').toEqual([]);
  });
});

function version(r: { bin: string; args: string[] }): string {
  const v = spawnSync(r.bin, ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  const name = r.bin.split('/').at(-1)!;
  return v.startsWith(name) ? v.replace(/ \(.*$/, '') : `${name} ${v}`;
}

describe.skipIf(others.length === 0)('logs are byte-identical across runtimes', () => {
  it.each(others.map((r) => [version(r), r] as const))('%s writes the same log as this Node, in every recording mode and both numeric modes, and verifies this Node’s', (_, r) => {
    const dir = tempDir();
    // both numeric modes; f32acc (its own kernels and float32 exp/log/tanh) in compact only, to stay
    // cheap; and the baseline's own model (609,216 parameters), whose log a recording thread writes
    for (const [mode, numeric, size] of [['full', 'f64acc', 'tiny'], ['compact', 'f64acc', 'tiny'], ['compact', 'f32acc', 'tiny'], ['full', 'f64acc', 'baseline']]) {
      const here = join(dir, `here-${mode}-${numeric}-${size}.weft`);
      const there = join(dir, `there-${mode}-${numeric}-${size}.weft`);
      const steps = size === 'tiny' ? 6 : 2;
      const args = ['run', 'baseline', ...(size === 'tiny' ? TINY_SETS : []), '--set', `numeric=${numeric}`, '--steps', String(steps), '--record', mode, '--quiet'];
      expect(weft([...args, '--out', here]).code).toBe(0);
      const run = spawnSync(r.bin, [...r.args, `${ROOT}/bin/weft.mjs`, ...args, '--out', there], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(readFileSync(there).equals(readFileSync(here)), `${mode} ${numeric} ${size} log under ${version(r)} differs from ${process.version}'s`).toBe(true);
      // and it reads and re-executes a log this Node wrote, its arrays decoded on 3 threads (the
      // baseline's split by segment: log/decode-threads.ts) and compared with its own
      const verify = spawnSync(r.bin, [...r.args, `${ROOT}/bin/weft.mjs`, 'verify', here, '--threads', '3'], { cwd: ROOT, encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(new RegExp(`reproduced — ${steps} steps re-executed`));
    }
  });
});

// The two papers' scenarios (issue 26), shortened (paper-scenarios.ts): each runtime's CLI, on its
// default threads (the cores: more than 1 wherever the machine has them), writes the very log this
// Node's library writes with 1 thread — one run per scenario and runtime, the cheapest it can be
describe.skipIf(others.length === 0)('the grokking and induction scenarios write the same log on every runtime and thread count', () => {
  const dir = tempDir();
  const here = new Map<string, Buffer>();
  it.each(others.map((r, i) => [version(r), r, i] as const))('%s, on the cores, as this Node on 1 thread', async (_, r, i) => {
    for (const name of PAPER_SCENARIOS) {
      if (!here.has(name)) {
        const path = join(dir, `${name}-here.weft`);
        await recordPaperScenario(name, path, { implementation: 'fast', threads: 1 });
        here.set(name, readFileSync(path));
      }
      const there = join(dir, `${name}-${i}.weft`);
      const run = spawnSync(r.bin, [...r.args, `${ROOT}/bin/weft.mjs`, 'run', name, '--model', 'tiny', '--steps', String(PAPER_STEPS), '--out', there, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(readFileSync(there).equals(here.get(name)!), `${name}: the log under ${version(r)} differs from ${process.version}'s on 1 thread`).toBe(true);
    }
  });
});

// DESIGN rule 8 carried to the output people read: the same `weft sample` command prints the same
// bytes on every runtime, greedy and seeded (the --json output holds every probability in full)
describe.skipIf(others.length === 0)('weft sample prints the same bytes across runtimes', () => {
  const log = join(tempDir(), 'sample.weft');
  const commands = [
    ['sample', log, '--prompt', 'The scientists published their', '--tokens', '20'],
    ['sample', log, '--prompt', 'The scientists published their', '--tokens', '20', '--temperature', '0.8', '--seed', '3', '--json'],
  ];
  const here = new Map<number, string>();
  it.each(others.map((r) => [version(r), r] as const))('%s: greedy, and --temperature 0.8 --seed 3', (_, r) => {
    if (here.size === 0) {
      expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', '4', '--out', log, '--quiet']).code).toBe(0);
      commands.forEach((args, i) => {
        const s = weft(args);
        expect(s.code, s.stderr).toBe(0);
        here.set(i, s.stdout);
      });
    }
    commands.forEach((args, i) => {
      const there = spawnSync(r.bin, [...r.args, `${ROOT}/bin/weft.mjs`, ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(there.status, there.stderr).toBe(0);
      expect(there.stdout, `${args.slice(3).join(' ')} under ${version(r)}`).toBe(here.get(i));
    });
  });
});
