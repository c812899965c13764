// A run you can trust at the keyboard: Ctrl-C, two writers, overwrites, resume of the wrong run,
// broken scenario files.
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { PATIENCE_MS, ROOT, TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const dir = tempDir();

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** step printed last before the signal */
  stepAtSignal: number;
}

/**
 * Starts `weft run` and sends `signal` once progress shows step `atStep` (plain progress prints
 * every step on a run of 20 steps); resolves when it exits.
 */
function runAndSignal(args: string[], atStep: number, signal: NodeJS.Signals): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, 'run', ...args], { cwd: ROOT });
    let stderr = '';
    let stdout = '';
    let sent = false;
    let stepAtSignal = -1;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const steps = [...stderr.matchAll(/step (\d+)\//g)].map((m) => Number(m[1]));
      const last = steps.length ? steps[steps.length - 1] : 0;
      if (!sent && last >= atStep) {
        sent = true;
        stepAtSignal = last;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve({ code, signal: sig, stderr, stdout, stepAtSignal }));
  });
}

describe('Ctrl-C and SIGTERM', () => {
  it('SIGINT mid-run: exits 130 after the current step, the log is closed, and --resume completes it byte for byte', async () => {
    const steps = '20';
    const ref = join(dir, 'sigint-ref.weft');
    expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', steps, '--record', 'compact', '--set', 'record.keyframeEvery=8', '--out', ref, '--quiet']).code).toBe(0);
    const out = join(dir, 'sigint.weft');
    const r = await runAndSignal(['baseline', ...TINY_SETS, '--steps', steps, '--record', 'compact', '--set', 'record.keyframeEvery=8', '--out', out], 3, 'SIGINT');
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted \(SIGINT\): stopping after this step/);
    expect(r.stderr).toMatch(new RegExp(`interrupted after step \\d+; to continue: npx weft run baseline --resume --out .*sigint\\.weft`));
    const log = openLog(out);
    const stopped = log.lastStep;
    // the handler runs between steps: the step under way finished, and no step started after it
    const at = r.stderr.indexOf('interrupted (SIGINT)');
    const printed = [...r.stderr.slice(0, at).matchAll(/step (\d+)\//g)].map((m) => Number(m[1]));
    expect(stopped).toBe(printed[printed.length - 1]);
    expect(r.stderr.slice(at)).not.toMatch(/step \d+\//);
    expect(stopped).toBeGreaterThanOrEqual(r.stepAtSignal);
    expect(stopped).toBeLessThan(20);
    expect(log.readEnd()?.reason).toBe('interrupted');
    expect(log.indexed).toBe(true);
    log.close();
    expect(existsSync(`${out}.lock`)).toBe(false);
    const resumed = weft(['run', 'baseline', '--resume', '--out', out, '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(out).equals(readFileSync(ref)), 'the resumed log equals the uninterrupted one').toBe(true);
  });

  it('SIGTERM stops the same way, exit 143', async () => {
    const out = join(dir, 'sigterm.weft');
    const r = await runAndSignal(['baseline', ...TINY_SETS, '--steps', '200', '--out', out], 2, 'SIGTERM');
    expect(r.code, r.stderr).toBe(143);
    const log = openLog(out);
    expect(log.readEnd()?.reason).toBe('interrupted');
    log.close();
  });
});

describe('one writer per log, no silent overwrite', () => {
  it('a second writer to the same --out is refused at start (exit 2, naming the first); the first log stays intact', async () => {
    const out = join(dir, 'shared.weft');
    const first = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, 'run', 'baseline', ...TINY_SETS, '--steps', '100000', '--out', out], { cwd: ROOT });
    let err = '';
    await new Promise<void>((resolve) => first.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/step \d+\//.test(err)) resolve();
    }));
    const second = weft(['run', 'no-adam', ...TINY_SETS, '--steps', '5', '--out', out, '--force']);
    expect(second.code).toBe(2);
    expect(second.stderr.trim()).toMatch(new RegExp(`shared\\.weft is being written by process ${first.pid} \\(lock .*shared\\.weft\\.lock\\)`));
    const inspect = weft(['inspect', out]);
    expect(inspect.stdout).toMatch(new RegExp(`still being written by process ${first.pid}`));
    const exited = new Promise<number | null>((resolve) => first.on('exit', (c) => resolve(c)));
    first.kill('SIGINT');
    expect(await exited).toBe(130);
    const log = openLog(out);
    expect(log.header.scenario).toBe('baseline');
    expect(log.readEnd()?.reason).toBe('interrupted');
    expect(log.lastStep).toBeGreaterThan(0);
    log.verifyAll();
    log.close();
  });

  it('an existing log is not overwritten without --force; with --force it is', () => {
    const out = join(dir, 'exists.weft');
    expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', '2', '--out', out, '--quiet']).code).toBe(0);
    const before = readFileSync(out);
    const again = weft(['run', 'no-adam', ...TINY_SETS, '--steps', '2', '--out', out, '--quiet']);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/exists\.weft exists; pass --force to overwrite it/);
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(weft(['run', 'no-adam', ...TINY_SETS, '--steps', '2', '--out', out, '--quiet', '--force']).code).toBe(0);
    const log = openLog(out);
    expect(log.header.scenario).toBe('no-adam');
    log.close();
  });

  it('a stale lock (its process died) is taken over', () => {
    const out = join(dir, 'stale.weft');
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    const r = weft(['run', 'baseline', ...TINY_SETS, '--steps', '1', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  it('without --out, an existing runs/<scenario>.weft is kept and the run writes runs/<scenario>-2.weft', () => {
    const cwd = tempDir();
    const run = (extra: string[] = []) => {
      return spawnSync(process.execPath, [`${ROOT}/bin/weft.mjs`, 'run', 'no-dropout', ...TINY_SETS, '--steps', '1', ...extra], { cwd, encoding: 'utf8' });
    };
    expect(run().status).toBe(0);
    const firstBytes = readFileSync(join(cwd, 'runs/no-dropout.weft'));
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/runs\/no-dropout\.weft exists: this run writes runs\/no-dropout-2\.weft/);
    expect(second.stdout).toMatch(/log: runs\/no-dropout-2\.weft .*\nnext: npx weft inspect runs\/no-dropout-2\.weft/);
    expect(readFileSync(join(cwd, 'runs/no-dropout.weft')).equals(firstBytes)).toBe(true);
    expect(statSync(join(cwd, 'runs/no-dropout-2.weft')).size).toBeGreaterThan(0);
    rmSync(cwd, { recursive: true });
  });
});

describe('resume checks what it continues', () => {
  it('--resume of a log with another scenario is refused, naming both', async () => {
    const out = join(dir, 'other.weft');
    const r = await runAndSignal(['baseline', ...TINY_SETS, '--steps', '200', '--out', out], 2, 'SIGINT');
    expect(r.code).toBe(130);
    const wrong = weft(['run', 'no-adam', '--resume', '--out', out]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toMatch(/--resume: .*other\.weft is a run of baseline, not no-adam; to continue it: npx weft run baseline --resume --out/);
    const flags = weft(['run', 'baseline', '--resume', '--out', out, ...TINY_SETS, '--steps', '200', '--set', 'optim.lr=0.5']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/the log's config differs from the one asked \(optim\.lr: log 0\.001, asked 0\.5\)/);
  });
});

describe('every command that answers from a log checks it whole first', () => {
  it('a damaged step record the answer does not read, or a damaged index: replay, export, sample, fourier, attention and fork say so (exit 3, the byte), never answer as if intact', () => {
    const log = join(dir, 'answers.weft');
    const r = weft(['run', 'modular-addition', '--model', 'tiny', '--steps', '6', '--set', 'record.keyframeEvery=6', '--out', log, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const f = openLog(log);
    const step2 = f.frames.find((x) => x.kind === 'step' && x.step === 2)!;
    f.close();
    const bytes = readFileSync(log);
    const damaged = {
      step: Buffer.from(bytes).fill(bytes[step2.offset + 20] ^ 0x10, step2.offset + 20, step2.offset + 21),
      index: Buffer.from(bytes).fill(bytes[bytes.length - 30] ^ 0x10, bytes.length - 30, bytes.length - 29),
    };
    for (const [what, b] of Object.entries(damaged)) {
      const bad = join(dir, `answers-${what}.weft`);
      writeFileSync(bad, b);
      // the state after step 6 is the keyframe's, re-executed from 0 or read: none of these reads step 2's record for its answer
      for (const args of [['replay', bad, '--to', '6'], ['export', bad, '--at', '6', '--out', join(dir, `x-${what}.safetensors`)], ['sample', bad, '--prompt', '3 + 5 ='], ['fourier', bad], ['attention', bad, '--track', 'previous-token'], ['fork', bad, '--at', '6', '--out', join(dir, `fork-${what}.weft`)]]) {
        const c = weft(args);
        expect(c.code, `${what}: ${args[0]} ${c.stdout}`).toBe(3);
        expect(c.stderr.trim(), `${what}: ${args[0]}`).toMatch(/^weft \w+: .*answers-\w+\.weft: .*(corrupt at byte \d+|index)/);
        expect(c.stdout, `${what}: ${args[0]}`).toBe('');
      }
      expect(existsSync(join(dir, `x-${what}.safetensors`))).toBe(false);
      expect(existsSync(join(dir, `fork-${what}.weft`))).toBe(false);
    }
  });
});

describe('broken scenario files', () => {
  it('run --list names the broken file and still lists the others; the script itself fails in one line, exit 2', () => {
    // a project of its own (weft's scenarios/ is not written to: other tests list it meanwhile)
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'mine', private: true, type: 'module' }));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules/weft'));
    mkdirSync(join(project, 'scenarios'));
    const scenario = (name: string, lr: number) => [
      "import { defineScenario, runIfMain } from 'weft';",
      `const scenario = defineScenario({ name: '${name}', description: 'lr ${lr}', config: { optim: { lr: ${lr} } } });`,
      'export default scenario;',
      'await runIfMain(import.meta.url, scenario);',
      '',
    ].join('\n');
    writeFileSync(join(project, 'scenarios/good.ts'), scenario('good', 0.01));
    writeFileSync(join(project, 'scenarios/zz-broken-test.ts'), scenario('zz-broken-test', -1));
    const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: PATIENCE_MS });
    const list = run([join(ROOT, 'bin/weft.mjs'), 'run', '--list']);
    expect(list.status).toBe(2);
    expect(list.stdout).toMatch(/^  good +lr 0\.01$/m);
    expect(list.stdout).toMatch(/^  vanishing-gradients /m);
    expect(list.stderr.trim()).toMatch(/^weft run --list: broken scenario scenarios\/zz-broken-test\.ts: optim\.lr: /);
    const script = run([join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scenarios/zz-broken-test.ts']);
    expect(script.status).toBe(2);
    expect(script.stderr.trim().split('\n')).toHaveLength(1);
    expect(script.stderr).toMatch(/scenarios\/zz-broken-test\.ts: optim\.lr: /);
  });
});
