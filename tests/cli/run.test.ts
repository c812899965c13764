import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogLock } from '../../src/log/lock.ts';
import { openLog } from '../../src/log/reader.ts';
import { tempDir } from '../log/helpers.ts';
import { PATIENCE_MS, ROOT, TINY_SETS, weft } from '../helpers.ts';

/** One clear line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('weft run: bad input gives one clear line and exit code 2', () => {
  it('unknown scenario name', () => {
    const r = weft(['run', 'no-such-scenario']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /unknown scenario "no-such-scenario"; known: .*baseline/);
  });
  it('a file that is no scenario, text or token file (a log, a README): what run takes, not Node\'s "Unknown file extension"', () => {
    for (const [arg, tail] of [['runs/x.weft', ' — a log is continued with --resume --out LOG, or forked with weft fork'], ['./README.md', '']]) {
      const r = weft(['run', arg]);
      expect(r.code, arg).toBe(2);
      expect(r.stderr, arg).toBe(`weft run: ${arg}: expected a scenario's name, a scenario file (.ts, .mts, .js, .mjs), a text file (.txt) or a token file (.bin)${tail}\n`);
    }
  });

  it('unknown --set key', () => {
    const r = weft(['run', 'baseline', '--set', 'model.colour=blue']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.colour: unknown config key under model; known: arch, nLayers/);
  });
  it('wrong type', () => {
    const r = weft(['run', 'baseline', '--set', 'model.dropout=lots']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.dropout: must be number, got "lots"/);
  });
  it('out-of-range value: nHeads that does not divide dModel', () => {
    const r = weft(['run', 'baseline', '--set', 'model.nHeads=3']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.nHeads: must divide model\.dModel \(64\), got 3/);
  });
  it('out-of-range value: dropout 1', () => {
    const r = weft(['run', 'baseline', '--set', 'model.dropout=1']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.dropout: must be < 1/);
  });
  it('bad enum value lists the allowed ones', () => {
    const r = weft(['run', 'baseline', '--set', 'optim.kind=rmsprop']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /optim\.kind: must be one of "sgd", "momentum", "adam", "adamw", "lion", got "rmsprop"/);
  });
  it('unknown flag and bad --steps', () => {
    expect(weft(['run', 'baseline', '--stpes', '3']).code).toBe(2);
    const r = weft(['run', 'baseline', '--steps', 'ten']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /--steps: expected an integer, got "ten"/);
  });
  it('a mistyped scenario name gets the nearest one', () => {
    expect(weft(['run', 'no_residuals']).stderr).toMatch(/unknown scenario "no_residuals" \(did you mean no-residuals\?\); known: /);
    expect(weft(['run', 'Baseline']).stderr).toMatch(/did you mean baseline\?/);
    const far = weft(['run', 'transformer']);
    expect(far.code).toBe(2);
    expect(far.stderr).not.toMatch(/did you mean/);
  });
  it('a model preset by name, and a bad one', () => {
    const r = weft(['run', 'no-dropout', '--model', 'tiny', '--steps', '1', '--json', '--no-log']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).summary.layers).toHaveLength(4);
    expectOneLine(weft(['run', 'no-dropout', '--model', 'huge']).stderr, /--model: expected one of tiny, fabric, got "huge"/);
    // presets are looked up by their own names only, not the prototype's
    for (const name of ['constructor', 'toString', '__proto__']) {
      const r = weft(['run', 'no-dropout', '--model', name, '--steps', '1', '--no-log']);
      expect(r.code, name).toBe(2);
      expectOneLine(r.stderr, new RegExp(`--model: expected one of tiny, fabric, got "${name}"`));
    }
  });
  it('--threads is bounded: past the machine’s cores (and 8) it is refused, one line', () => {
    const r = weft(['run', 'no-dropout', '--threads', '999', '--steps', '1', '--no-log']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /--threads 999: at most \d+ \(this machine has \d+ cores; threads beyond them only take turns on them\)/);
  });
  it('unknown command', () => {
    const r = weft(['trian']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /unknown command "trian"/);
    // commands are looked up by their own names, not the prototype's
    const proto = weft(['constructor']);
    expect(proto.code).toBe(2);
    expectOneLine(proto.stderr, /unknown command "constructor"/);
  });
});

describe('weft run: usage', () => {
  it('--help on the command and on weft itself', () => {
    const r = weft(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^weft run <scenario/);
    // and every command names the flags every command takes
    for (const c of ['run', 'replay', 'verify', 'view']) expect(weft([c, '--help']).stdout).toMatch(/--kernels fast\|reference, --threads N +as for every command/);
    const help = weft(['--help']).stdout;
    expect(help).toMatch(/commands:/);
    // every exit code a command can end with, the internal error's too (cli/errors.ts EXIT)
    expect(help).toMatch(/exit codes: 0 ok · 1 a difference was found · 2 bad usage or input · 3 unreadable or corrupt data\n +4 an internal error/);
    const v = weft(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^weft 0\.\d+\.\d+ \(log formats 1–3, node /);
  });
  it('runs a scenario with overrides and prints the summary', () => {
    const r = weft(['run', 'no-residuals', ...TINY_SETS, '--steps', '3', '--json', '--no-log']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.reason).toBe('completed');
    expect(out.summary.steps).toBe(3);
    expect(out.summary.layers.map((l: { name: string }) => l.name)).toEqual(['emb', 'layer 1', 'layer 2', 'head']);
  });
  it('a scenario file runs on its own with tsx', async () => {
    const { spawnSync } = await import('node:child_process');
    const { ROOT } = await import('../helpers.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scenarios/no-dropout.ts', ...TINY_SETS, '--steps', '2', '--json', '--no-log'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).scenario).toBe('no-dropout');
  });
});

const dir = tempDir();
const STEPS = 6;
/** A tiny run's flags, and its uninterrupted log (the reference every finished log must equal). */
const RUN = ['baseline', ...TINY_SETS, '--steps', String(STEPS), '--record', 'compact', '--set', 'record.keyframeEvery=4'];
const reference = join(dir, 'reference.weft');
const made = weft(['run', ...RUN, '--out', reference, '--quiet']);

describe('weft run --resume takes the lock before it reads the log', () => {
  it('a resume while another process holds the lock is refused, naming it, and leaves the file byte-identical', () => {
    expect(made.code, made.stderr).toBe(0);
    const ref = openLog(reference);
    const states: [string, number][] = [
      // the holder is closing its log: the end record is written, the index not yet
      ['closing', ref.endFrame!.end],
      // the holder has just created the file
      ['starting', 16],
      // the holder is training
      ['training', ref.frames.find((f) => f.kind === 'step' && f.step === 3)!.end],
    ];
    ref.close();
    for (const [what, size] of states) {
      const log = join(dir, `held-${what}.weft`);
      copyFileSync(reference, log);
      truncateSync(log, size);
      const before = readFileSync(log);
      const lock = LogLock.acquire(log); // this process is the live writer
      try {
        const r = weft(['run', 'baseline', '--resume', '--out', log]);
        expect(r.code, `${what}: ${r.stderr}`).toBe(2);
        expectOneLine(r.stderr, new RegExp(`held-${what}\\.weft is being written by process ${process.pid} \\(lock `));
      } finally {
        lock.release();
      }
      expect(readFileSync(log).equals(before), `${what}: the file is unchanged`).toBe(true);
    }
  });
});

describe('weft run --resume finishes what a kill left', () => {
  it('killed between the end record and the index: --resume writes the index, and the log equals the uninterrupted one', () => {
    const ref = openLog(reference);
    const end = ref.endFrame!;
    const indexAt = end.end;
    ref.close();
    const total = statSync(reference).size;
    // right after the end frame, inside the index frame, inside the trailer
    for (const size of [indexAt, indexAt + 5, total - 3]) {
      const log = join(dir, `unindexed-${size}.weft`);
      copyFileSync(reference, log);
      truncateSync(log, size);
      const r = weft(['run', 'baseline', '--resume', '--out', log]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(new RegExp(`unindexed-${size}\\.weft: the run had ended \\(completed after ${STEPS} steps\\) but was killed before its index was written: the index is written now, and the log is complete$`));
      expect(readFileSync(log).equals(readFileSync(reference)), `cut at ${size} of ${total}`).toBe(true);
      expect(weft(['run', 'baseline', '--resume', '--out', log]).stderr).toMatch(/the run ended \(completed, after 6 steps\); nothing to resume/);
    }
  });

  it('killed as it was created (0 or 16 bytes, a header cut short): inspect, verify and replay say so alike (exit 3), --resume restarts it as a fresh run', () => {
    const header = openLog(reference).frames[0];
    const cuts: [number, RegExp][] = [
      [0, /an empty file \(0 bytes\)/],
      [11, /the file header cut short \(11 of 16 bytes\)/],
      [16, /the file header only \(16 bytes\)/],
      [20, /the file header and 4 bytes of a header record/],
      [header.offset + 8 + 100, new RegExp(`the file header and a header record cut short \\(100 of ${header.end - header.offset - 8} bytes\\)`)],
    ];
    for (const [size, what] of cuts) {
      const log = join(dir, `unstarted-${size}.weft`);
      copyFileSync(reference, log);
      truncateSync(log, size);
      // (verify and replay, which open it as inspect does, on the smallest and the largest cut)
      for (const args of [['inspect', log], ...(size === 0 || size > 20 ? [['verify', log], ['replay', log, '--to', '0']] : [])]) {
        const i = weft(args);
        expect(i.code, `${args[0]}: ${i.stderr}`).toBe(3);
        expectOneLine(i.stderr, new RegExp(`unstarted-${size}\\.weft: no complete record, ${what.source}: its run was killed as it started \\(nothing complete is in it\\); \`npx weft run <scenario> --resume --out .*unstarted-${size}\\.weft\` restarts it$`));
      }
      const r = weft(['run', ...RUN, '--resume', '--out', log, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`unstarted-${size}\\.weft: no complete record, ${what.source}: its run was killed as it started; restarting it from step 0 with the scenario and flags given`));
      expect(readFileSync(log).equals(readFileSync(reference)), `restarted from ${size} bytes`).toBe(true);
    }
  });

  it('a header frame whose length has a flipped bit is damage, not a cut: --resume refuses it and leaves it as it is', () => {
    const header = openLog(reference).frames[0];
    const log = join(dir, 'flipped.weft');
    copyFileSync(reference, log);
    truncateSync(log, header.end); // a log of its header record alone
    const bytes = readFileSync(log);
    bytes.writeUInt32LE(bytes.readUInt32LE(16) ^ (1 << 20), 16);
    writeFileSync(log, bytes);
    const r = weft(['run', ...RUN, '--resume', '--out', log, '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/restarting/);
    expect(readFileSync(log).equals(bytes)).toBe(true);
  });
});

/** Starts `weft run` and sends `signal` `afterMs` after progress shows step `atStep`; resolves when it exits. */
function runAndSignal(args: string[], atStep: number, afterMs: number, signal: NodeJS.Signals, env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, 'run', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && new RegExp(`step ${atStep}/`).test(stderr)) {
        sent = true;
        setTimeout(() => child.kill(signal), afterMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr }));
  });
}

describe('a signal after the last step', () => {
  it('SIGTERM while the log is being closed: the log closes completely (end record, index), exit 0', async () => {
    const log = join(dir, 'late-sigterm.weft');
    // the run waits 3 s between its last step and the close of its log; the signal comes 0.5 s in
    const r = await runAndSignal([...RUN, '--out', log], STEPS, 500, 'SIGTERM', { WEFT_TEST_CLOSE_DELAY_MS: '3000' });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SIGTERM after the last step: the run is complete; closing its log and writing the report first/);
    const l = openLog(log);
    expect(l.indexed).toBe(true);
    expect(l.readEnd()).toMatchObject({ reason: 'completed', steps: STEPS });
    l.close();
    expect(readFileSync(log).equals(readFileSync(reference)), 'the log equals an uninterrupted run').toBe(true);
    expect(JSON.parse(readFileSync(log.replace(/\.weft$/, '.report.json'), 'utf8')).reason).toBe('completed');
  });
});

describe('a log that cannot be written', () => {
  it('a write that fails as the log starts (ENOSPC, /dev/full): one line naming the log and the error, exit 2', () => {
    const log = join(dir, 'full.weft');
    symlinkSync('/dev/full', log);
    const r = weft(['run', ...RUN, '--out', log, '--force', '--quiet']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /^weft run: .*full\.weft: cannot write the log \(ENOSPC: no space left on device\); nothing complete is in it; to continue once it can be written: npx weft run baseline --resume --out .*full\.weft$/);
  });

  // a real full disk: a 200 KiB tmpfs in a user and mount namespace of its own (where there is none, skipped)
  const namespaces = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']).status === 0;
  it.skipIf(!namespaces)('the disk fills mid-run: one line naming the log, ENOSPC and the last complete step, and --resume from that step equals the uninterrupted run', () => {
    const mnt = join(dir, 'mnt');
    const kept = join(dir, 'full-disk.weft');
    mkdirSync(mnt);
    // summary records: a 100 KiB keyframe at steps 0 and 20, about 3 KiB a step; the disk fills at the second keyframe
    const run = ['run', 'baseline', ...TINY_SETS, '--steps', '40', '--record', 'summary', '--quiet'];
    const script = `mount -t tmpfs -o size=200k tmpfs ${mnt} && cd ${ROOT} && ${process.execPath} bin/weft.mjs ${run.join(' ')} --out ${mnt}/x.weft; rc=$?; cp ${mnt}/x.weft ${kept}; exit $rc`;
    const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'bash', '-c', script], { encoding: 'utf8', timeout: PATIENCE_MS });
    expect(r.status, r.stderr).toBe(2);
    const m = /^weft run: .*x\.weft: cannot write the log \(ENOSPC: no space left on device\); it is readable up to step (\d+); to continue once it can be written: npx weft run baseline --resume --out .*x\.weft$/.exec(r.stderr.trim());
    expect(m, r.stderr).not.toBeNull();
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const last = Number(m![1]);
    const l = openLog(kept);
    expect(l.lastStep).toBe(last);
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(40);
    l.close();
    // moved where there is room, it continues from that step to the uninterrupted run's bytes
    const whole = join(dir, 'full-disk-ref.weft');
    expect(weft([...run, '--out', whole]).code).toBe(0);
    const resumed = weft(['run', 'baseline', '--resume', '--out', kept, '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(kept).equals(readFileSync(whole))).toBe(true);
  });
});

describe('weft run prints its lesson: the scenario\'s expectations, checked on this run', () => {
  const lessons = tempDir();
  /** A scenario file of the test's own, on the tiny model, with these expectations (source text). */
  const scenarioFile = (name: string, steps: number, expectations: string[]) => {
    const file = join(lessons, `${name}.ts`);
    writeFileSync(file, [
      `import { defineScenario } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};`,
      `export default defineScenario({ name: '${name}', description: 'a lesson test', config: { steps: ${steps} }, expectations: [`,
      ...expectations.map((e) => `  ${e},`),
      ']});',
      '',
    ].join('\n'));
    return file;
  };
  const holds = scenarioFile('holds', 3, [
    "{ text: 'three steps are made', check: (r) => r.lastStep === 3 }",
    "{ text: 'the loss is finite', check: (r) => Number.isFinite(r.loss(r.lastStep)) }",
  ]);
  const fails = scenarioFile('fails', 3, [
    "{ text: 'three steps are made', check: (r) => r.lastStep === 3 }",
    "{ text: 'the loss rises by 100', check: (r) => r.loss(r.lastStep) > r.loss(1) + 100 }",
    "{ text: 'step 5 is reached', check: (r) => r.loss(5) > 0 }",
  ]);
  const tiny = ['--model', 'tiny', '--no-log'];

  it('expectations that hold: ✓ each, as the last lines, exit 0 (with --check too)', () => {
    const r = weft(['run', holds, ...tiny]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^loss /);
    expect(r.stdout.endsWith('expectations: 2 of 2 hold\n  ✓ three steps are made\n  ✓ the loss is finite\n')).toBe(true);
    const c = weft(['run', holds, ...tiny, '--check', '--quiet']);
    expect(c.code, c.stderr).toBe(0);
  });

  it('one that fails: ✗ (with the error of a check that reads a step the run did not make), exit 0; 1 with --check', () => {
    const r = weft(['run', fails, ...tiny]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(-5)).toEqual([
      'expectations: 1 of 3 hold',
      '  ✓ three steps are made',
      '  ✗ the loss rises by 100',
      '  ✗ step 5 is reached (this run has no step 5 (it ran steps 1…3))',
      '',
    ]);
    const c = weft(['run', fails, ...tiny, '--check']);
    expect(c.code, c.stderr).toBe(1);
    expect(c.stdout).toMatch(/✗ the loss rises by 100/);
  });

  it('--quiet still prints them (they are results, not progress); --json gives expectations: [{text, ok, error?}]', () => {
    const q = weft(['run', fails, ...tiny, '--quiet']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toBe('');
    expect(q.stdout).toMatch(/expectations: 1 of 3 hold\n  ✓ three steps are made\n/);
    const j = weft(['run', fails, ...tiny, '--json', '--check']);
    expect(j.code, j.stderr).toBe(1);
    expect(JSON.parse(j.stdout).expectations).toEqual([
      { text: 'three steps are made', ok: true },
      { text: 'the loss rises by 100', ok: false },
      { text: 'step 5 is reached', ok: false, error: 'this run has no step 5 (it ran steps 1…3)' },
    ]);
  });

  it('a run stopped on NaN/Inf is checked on the steps it made: exploding-gradients shows its lesson', () => {
    const r = weft(['run', 'exploding-gradients', '--model', 'tiny', '--steps', '24', '--no-log', '--check', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped: NaN\/Inf at step 8[^\n]*\nexpectations: 1 of 1 hold\n  ✓ the global gradient norm grows more than 1000-fold, then the run stops on NaN\/Inf\n$/);
  });

  it('an interrupted run (Ctrl-C) reports what it can, and exits 130', async () => {
    const long = scenarioFile('long', 400, [
      "{ text: 'stopped before its end', check: (r) => r.lastStep >= 1 && r.lastStep < 400 }",
      "{ text: 'the last step is reached', check: (r) => r.loss(400) > 0 }",
    ]);
    const r = await runAndSignal([long, ...tiny, '--check'], 1, 0, 'SIGINT', {});
    expect(r.code, r.stderr).toBe(130);
    const m = /expectations: 1 of 2 hold\n  ✓ stopped before its end\n  ✗ the last step is reached \(this run has no step 400 \(it ran (?:step (1) only|steps 1…(\d+))\)\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    // a signal that lands right after step 1 leaves one step: "it ran step 1 only"
    expect(r.stderr).toMatch(new RegExp(`interrupted after step ${m![1] ?? m![2]}`));
  });

  it('a resumed run is checked on all its steps, those before the resume read from its log: the same lesson as the uninterrupted run', () => {
    expect(made.code, made.stderr).toBe(0);
    const uninterrupted = JSON.parse(readFileSync(reference.replace(/\.weft$/, '.report.json'), 'utf8')).expectations;
    expect(uninterrupted).toEqual([{ text: 'the loss falls: lower at the last step than at step 1', ok: true }]);
    const log = join(dir, 'lesson-resumed.weft');
    const ref = openLog(reference);
    const cut = ref.frames.find((f) => f.kind === 'step' && f.step === 3)!.end;
    ref.close();
    copyFileSync(reference, log);
    truncateSync(log, cut); // killed after step 3
    const r = weft(['run', ...RUN, '--resume', '--out', log, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).expectations).toEqual(uninterrupted);
    expect(readFileSync(log).equals(readFileSync(reference))).toBe(true);
  });

  it('--help says what is printed, and what --check does', () => {
    const h = weft(['run', '--help']).stdout;
    expect(h).toMatch(/then the scenario's lesson: each of its expectations, ✓ or ✗/);
    expect(h).toMatch(/--check +exit 1 when an expectation fails/);
  });
});
