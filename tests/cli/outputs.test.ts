// One rule for every command that writes a file: an existing file is replaced only with --force,
// a path a live lock holds (a log being written) never, one of the command's inputs never — by
// any name. Each writer is checked the same way, through the CLI, as a user would run it.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { openLog } from '../../src/log/reader.ts';
import { Recorder } from '../../src/engine/recorder.ts';
import { ROOT, TINY_SETS, tinyConfig, weft, type CliResult } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const dir = tempDir();
const A = join(dir, 'a.weft');
const B = join(dir, 'b.weft');
const SWEEP = join(dir, 'sweep');
let sweepLog: string;

const OLD = 'the file that was here before\n';

beforeAll(() => {
  for (const [log, seed] of [[A, '1'], [B, '2']]) {
    const r = weft(['run', 'baseline', ...TINY_SETS, '--steps', '2', '--seed', seed, '--out', log, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
  }
  const s = weft(['sweep', 'baseline', '--out', SWEEP, '--seeds', '1', '--steps', '2', ...TINY_SETS, '--jobs', '1', '--quiet']);
  expect(s.code, s.stderr).toBe(0);
  const manifest = JSON.parse(readFileSync(join(SWEEP, 'sweep.json'), 'utf8'));
  sweepLog = join(SWEEP, manifest.runs[0].log);
});

/** One clear line on stderr, no stack trace, exit 2. */
function expectRefused(r: CliResult, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A lock on `path` held by a live process: this test's own. */
function lockLive(path: string): void {
  writeFileSync(`${path}.lock`, `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
}

interface Writer {
  name: string;
  /** the command writing `out` */
  args: (out: string) => string[];
  /** its exit code when it succeeds */
  ok: number;
  /** an input of the command (a log it reads) */
  input: () => string;
  /** what a written file starts with */
  starts: string;
}

const WRITERS: Writer[] = [
  { name: 'export --out', args: (out) => ['export', A, '--at', '1', '--out', out], ok: 0, input: () => A, starts: '' },
  { name: 'replay --export', args: (out) => ['replay', A, '--to', '1', '--export', out], ok: 0, input: () => A, starts: '' },
  { name: 'report --html', args: (out) => ['report', A, '--html', out], ok: 0, input: () => A, starts: '<!doctype html>' },
  { name: 'diff --html', args: (out) => ['diff', A, B, '--html', out], ok: 1, input: () => B, starts: '<!doctype html>' },
  { name: 'sweep report --html', args: (out) => ['sweep', 'report', SWEEP, '--html', out], ok: 0, input: () => sweepLog, starts: '<!doctype html>' },
  { name: 'fork --out', args: (out) => ['fork', A, '--at', '1', '--out', out, '--quiet'], ok: 0, input: () => A, starts: 'WEFTLOG\n' },
];

describe.each(WRITERS)('$name', (w) => {
  const file = (what: string) => join(dir, `${w.name.replace(/\W+/g, '-')}-${what}`);

  it('an existing file is refused and left as it was; --force replaces it', () => {
    const out = file('exists');
    writeFileSync(out, OLD);
    expectRefused(weft(w.args(out)), new RegExp(`^weft \\w+: ${escape(out)} exists; pass --force to replace it$`));
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    const r = weft([...w.args(out), '--force']);
    expect(r.code, r.stderr).toBe(w.ok);
    const now = readFileSync(out);
    expect(now.toString('latin1') === OLD).toBe(false);
    expect(now.subarray(0, w.starts.length).toString('latin1').toLowerCase()).toBe(w.starts.toLowerCase());
  });

  it('a path a live lock holds is refused even with --force, naming the process', () => {
    const out = file('locked');
    writeFileSync(out, OLD);
    lockLive(out);
    try {
      const r = weft([...w.args(out), '--force']);
      expectRefused(r, new RegExp(`${escape(out)} is being written by process ${process.pid} \\(lock ${escape(out)}\\.lock\\)`));
      expect(readFileSync(out, 'utf8')).toBe(OLD);
    } finally {
      rmSync(`${out}.lock`);
    }
  });

  it('an input of the command is refused even with --force: by its own path, a symlink, a hard link', () => {
    const input = w.input();
    const before = readFileSync(input);
    const symlink = file('symlink');
    const hardlink = file('hardlink');
    symlinkSync(input, symlink);
    linkSync(input, hardlink);
    expectRefused(weft([...w.args(input), '--force']), new RegExp(`${escape(input)} is an input of this command; choose another --\\w+ FILE$`));
    for (const other of [symlink, hardlink]) {
      expectRefused(weft([...w.args(other), '--force']), new RegExp(`${escape(other)} is the same file as the input .*${escape(input.split('/').pop()!)}; choose another`));
    }
    expect(readFileSync(input).equals(before), 'the input is untouched').toBe(true);
  });

  it('a new file is written, and no temporary file is left beside it', () => {
    const out = file('new');
    const r = weft(w.args(out));
    expect(r.code, r.stderr).toBe(w.ok);
    expect(readFileSync(out).subarray(0, w.starts.length).toString('latin1').toLowerCase()).toBe(w.starts.toLowerCase());
    expect(existsSync(`${out}.lock`)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('weft run: <stem>.report.json and <stem>.html beside the log', () => {
  const run = (out: string, ...extra: string[]) => weft(['run', 'baseline', ...TINY_SETS, '--steps', '1', '--out', out, '--quiet', ...extra]);

  it.each(['report.json', 'html'])('an existing <stem>.%s with no log is refused before training (no log made); --force replaces it', (ext) => {
    const log = join(dir, `companion-${ext}.weft`);
    const companion = join(dir, `companion-${ext}.${ext}`);
    writeFileSync(companion, OLD);
    expectRefused(run(log), new RegExp(`${escape(companion)} exists; pass --force to replace it$`));
    expect(readFileSync(companion, 'utf8')).toBe(OLD);
    expect(existsSync(log), 'no log is made').toBe(false);
    expect(existsSync(`${log}.lock`)).toBe(false);
    const r = run(log, '--force');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(companion, 'utf8')).not.toBe(OLD);
    openLog(log).close();
  });

  it('a companion a live lock holds is refused before training, even with --force; the old log stays', () => {
    const log = join(dir, 'companion-locked.weft');
    expect(run(log).code).toBe(0);
    const logBefore = readFileSync(log);
    const html = join(dir, 'companion-locked.html');
    lockLive(html);
    try {
      expectRefused(run(log, '--force'), new RegExp(`${escape(html)} is being written by process ${process.pid}`));
      expect(readFileSync(log).equals(logBefore), 'the log is not overwritten').toBe(true);
    } finally {
      rmSync(`${html}.lock`);
    }
  });

  it('a companion that is the log itself (a symlink) is refused before --force truncates the log', () => {
    const log = join(dir, 'companion-self.weft');
    expect(run(log).code).toBe(0);
    const logBefore = readFileSync(log);
    const json = join(dir, 'companion-self.report.json');
    rmSync(json);
    symlinkSync(log, json);
    expectRefused(run(log, '--force'), new RegExp(`${escape(json)} is the same file as the input .*companion-self\\.weft; choose another --out FILE$`));
    expect(readFileSync(log).equals(logBefore)).toBe(true);
  });

  it('a resumed run rewrites its own log’s, without --force (they belong to that log)', async () => {
    const log = join(dir, 'resumed.weft');
    const cfg = await tinyConfig('baseline', 3);
    const t = new Trainer(cfg);
    const rec = Recorder.create(log, 'baseline', cfg, t);
    runTraining(t, 1, [rec]);
    rec.writer.abandon(); // killed after step 1
    const [json, html] = [join(dir, 'resumed.report.json'), join(dir, 'resumed.html')];
    writeFileSync(json, OLD);
    writeFileSync(html, OLD);
    const r = weft(['run', 'baseline', '--resume', '--out', log, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).stepsDone).toBe(3);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('without --out, a runs/<scenario>.weft whose report is left over is taken: the run writes runs/<scenario>-2.weft', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'runs'));
    writeFileSync(join(cwd, 'runs/no-dropout.html'), OLD);
    const r = await spawnWeft(['run', 'no-dropout', ...TINY_SETS, '--steps', '1'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'runs/no-dropout.html'), 'utf8')).toBe(OLD);
    expect(existsSync(join(cwd, 'runs/no-dropout.weft'))).toBe(false);
    expect(existsSync(join(cwd, 'runs/no-dropout-2.weft'))).toBe(true);
    rmSync(cwd, { recursive: true });
  });
});

describe('sweep report', () => {
  it('DIR/report.html is the sweep’s own: rewritten without --force', () => {
    expect(weft(['sweep', 'report', SWEEP]).code).toBe(0);
    const again = weft(['sweep', 'report', SWEEP]);
    expect(again.code, again.stderr).toBe(0);
  });
  it('the manifest is an input', () => {
    const manifest = join(SWEEP, 'sweep.json');
    const before = readFileSync(manifest);
    expectRefused(weft(['sweep', 'report', SWEEP, '--html', manifest, '--force']), /sweep\.json is an input of this command; choose another --html FILE$/);
    expect(readFileSync(manifest).equals(before)).toBe(true);
  });
});

function spawnWeft(args: string[], cwd: string = ROOT): Promise<CliResult & { pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr, pid: child.pid! }));
  });
}

describe('a log being written by another process', () => {
  it('export --out onto it is refused even with --force, naming the writer; the writer finishes and its log is whole', async () => {
    const out = join(dir, 'being-written.weft');
    const writer = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, 'run', 'baseline', ...TINY_SETS, '--steps', '100000', '--out', out], { cwd: ROOT });
    let err = '';
    await new Promise<void>((resolve) => writer.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/step \d+\//.test(err)) resolve();
    }));
    const exited = new Promise<number | null>((resolve) => writer.on('exit', (c) => resolve(c)));
    try {
      for (const args of [['export', A, '--at', '1', '--out', out, '--force'], ['report', A, '--html', out, '--force']]) {
        expectRefused(weft(args), new RegExp(`being-written\\.weft is being written by process ${writer.pid} \\(lock .*being-written\\.weft\\.lock\\)`));
      }
    } finally {
      writer.kill('SIGINT');
    }
    expect(await exited).toBe(130);
    const log = openLog(out);
    expect(log.header.scenario).toBe('baseline');
    expect(log.readEnd()?.reason).toBe('interrupted');
    log.verifyAll();
    log.close();
  });
});
