// writeOutput: a file is written whole (a temporary file renamed into place) or not at all, under
// the one rule of checkOutput.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { checkOutput, writeOutput, type OutputRule } from '../../src/log/output.ts';
import { ROOT } from '../helpers.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir();
const rule = (over: Partial<OutputRule> = {}): OutputRule => ({ force: false, inputs: [], flag: '--html', ...over });

describe('writeOutput', () => {
  it('replaces a file by renaming a new one into place: the old file is never written into', () => {
    const out = join(dir, 'replaced.html');
    writeFileSync(out, 'old contents');
    const fd = openSync(out, 'r'); // a reader of the old file
    try {
      writeOutput(out, 'new', rule({ force: true }));
      const b = Buffer.alloc(64);
      expect(b.subarray(0, readSync(fd, b, 0, 64, 0)).toString()).toBe('old contents');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(out, 'utf8')).toBe('new');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp') || f.endsWith('.lock'))).toEqual([]);
  });

  it('a file this process wrote may be written again without --force; another file not', () => {
    const out = join(dir, 'mine.json');
    writeOutput(out, '1', rule());
    writeOutput(out, '2', rule());
    expect(readFileSync(out, 'utf8')).toBe('2');
    const other = join(dir, 'theirs.json');
    writeFileSync(other, 'theirs');
    expect(() => writeOutput(other, 'mine', rule())).toThrow(new UsageError(`${other} exists; pass --force to replace it`));
    expect(readFileSync(other, 'utf8')).toBe('theirs');
  });

  it('refuses a directory, and names the path (not the temporary file) when the system refuses', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(() => checkOutput(sub, rule({ force: true }))).toThrow(new UsageError(`${sub} is a directory; choose another --html FILE`));
    const missing = join(dir, 'no-such-dir', 'r.html');
    expect(() => writeOutput(missing, 'x', rule())).toThrow(new UsageError(`cannot write ${missing}: ENOENT: no such file or directory`));
  });

  it.each([
    ['in the middle of writing', 'writeFileSync'],
    ['before the rename', 'fsyncSync'],
  ])('a process killed %s leaves the old file whole, and no new file half made', (_what, fn) => {
    const old = join(dir, `killed-${fn}.safetensors`);
    const fresh = join(dir, `killed-${fn}-new.safetensors`);
    writeFileSync(old, 'the old state');
    // the child writes half the data and dies (SIGKILL: no handler runs) when it calls `fn`
    const script = join(dir, `kill-${fn}.mts`);
    writeFileSync(script, [
      "import fs from 'node:fs';",
      "import { syncBuiltinESMExports } from 'node:module';",
      `const real = fs.${fn};`,
      `fs.${fn} = (fd, data, ...rest) => {`,
      `  if (${fn === 'writeFileSync'} && !(data instanceof Uint8Array)) return real(fd, data, ...rest); // the lock's own file`,
      "  if (data instanceof Uint8Array) real(fd, data.subarray(0, data.length >> 1));",
      "  process.kill(process.pid, 'SIGKILL');",
      '};',
      'syncBuiltinESMExports();',
      `const { writeOutput } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/log/output.ts')).href)});`,
      `const [path, force] = process.env.TARGET === 'old' ? [${JSON.stringify(old)}, true] : [${JSON.stringify(fresh)}, false];`,
      "writeOutput(path, new Uint8Array(1 << 20).fill(7), { force, inputs: [], flag: '--out' });",
      '',
    ].join('\n'));
    for (const target of ['fresh', 'old']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TARGET: target } });
      expect(r.signal, r.stderr).toBe('SIGKILL');
    }
    expect(readFileSync(old, 'utf8')).toBe('the old state');
    expect(readdirSync(dir)).not.toContain(`killed-${fn}-new.safetensors`);
    // what was half written is a hidden temporary file, not the output
    expect(readdirSync(dir).filter((f) => f.startsWith(`.killed-${fn}`) && f.endsWith('.tmp'))).toHaveLength(2);
    // the killed writer's lock is stale: the next write takes it over
    writeOutput(old, 'the new state', rule({ force: true }));
    expect(readFileSync(old, 'utf8')).toBe('the new state');
  });
});
