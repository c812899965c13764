// A user's own data on the command line: `weft run FILE.txt` and --set data.kind=text; verify,
// fork and --resume on a changed or missing file (exit 2, the file and both hashes named) and
// on a moved copy (--data); replay, inspect and export with the file gone; every bad input one
// line, exit 2, nothing written.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/data/source.ts';
import { openLog } from '../../src/log/reader.ts';
import { spawnSync } from 'node:child_process';
import { PATIENCE_MS, ROOT, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const TINY = ['--model', 'tiny', '--set', 'model.vocabSize=0', '--quiet'];

function sentences(n: number): string {
  const w = ['the', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'and', 'runs', 'home', 'at', 'night'];
  return Array.from({ length: n }, (_, i) => `${w[i % 12]} ${w[(i * 5) % 12]} ${w[(i * 7 + 3) % 12]} ${w[(i * 11 + 1) % 12]}.`).join('\n');
}

describe('weft run on a user file', () => {
  it('weft run FILE.txt trains the baseline on it (char tokens, a tenth held out, evaluated); the log holds the file by content; verify, replay, inspect and export need no file once it is logged', () => {
    const dir = tempDir();
    const file = join(dir, 'my.txt');
    writeFileSync(file, sentences(200));
    const out = join(dir, 'my.weft');
    const r = weft(['run', file, ...TINY, '--steps', '6', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^held-out loss \d\.\d{4} → \d\.\d{4} · train/m);
    const log = openLog(out);
    const h = log.header;
    log.close();
    expect(h.scenario).toBe('my');
    expect(h.config.data).toMatchObject({ kind: 'text', path: file, trainFraction: 0.9 });
    expect(h.config.record.mode).toBe('summary'); // the baseline's
    expect(h.data!.files).toEqual([{ key: 'data.path', path: file, bytes: statSync(file).size, sha256: sha256Hex(readFileSync(file)) }]);
    expect(weft(['verify', out, '--quiet']).code).toBe(0);
    renameSync(file, join(dir, 'elsewhere.txt'));
    // the step records hold the batches: nothing that reads a log needs the file
    expect(weft(['replay', out, '--to', '5']).code).toBe(0);
    const step = weft(['inspect', out, '--step', '2']);
    expect(step.code, step.stderr).toBe(0);
    expect(step.stdout).toMatch(/^batch\[0\]: "[a-z .\n\\]+"$/m);
    expect(weft(['inspect', out]).stdout).toContain(`data.path ${file} · ${h.data!.files[0].bytes.toLocaleString('en-US')} bytes · sha256 ${h.data!.files[0].sha256}`);
    const exported = weft(['export', out, '--at', '4', '--out', join(dir, 'w.safetensors')]);
    expect(exported.code, exported.stderr).toBe(0);
  });

  it('--set data.kind=text --set data.path=FILE on a named scenario; the path is stored as given (relative), never made absolute', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'words.txt'), sentences(120));
    const out = join(dir, 'w.weft');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/weft.mjs'), 'run', 'baseline', ...TINY, '--steps', '3', '--set', 'data.kind=text', '--set', 'data.path=sub/words.txt', '--set', 'data.tokenizer=word', '--out', out], { cwd: dir, encoding: 'utf8', timeout: PATIENCE_MS });
    expect(r.status, r.stderr).toBe(0);
    const log = openLog(out);
    expect(log.header.config.data).toMatchObject({ kind: 'text', path: 'sub/words.txt', tokenizer: 'word' });
    expect(log.header.data!.files[0].path).toBe('sub/words.txt');
    expect(log.header.vocab![0]).toBe('<unk>');
    log.close();
  });

  it('a killed run on a file: inspect names the command that continues it (by the file, not its scenario name), and that command does', () => {
    const dir = tempDir();
    const file = join(dir, 'My Words.txt');
    writeFileSync(file, sentences(120));
    const out = join(dir, 'killed.weft');
    expect(weft(['run', file, ...TINY, '--steps', '3', '--out', out]).code).toBe(0);
    const f = openLog(out);
    const end = f.frames.find((x) => x.kind === 'end')!;
    f.close();
    truncateSync(out, end.offset); // as if killed before its end record
    const i = weft(['inspect', out]);
    expect(i.stdout).toContain(`(resume: npx weft run ${file} --resume --out ${out})`);
    const again = weft(['run', file, '--resume', '--out', out, '--quiet']); // as inspect prints it
    expect(again.code, again.stderr).toBe(0);
    expect(weft(['inspect', out]).stdout).toMatch(/ended: completed after 3 steps/);
  });

  it('--model tiny sets the shape, not the vocabulary, of a run on a file: V is the file\'s (characters, BPE)', () => {
    const dir = tempDir();
    const file = join(dir, 'words.txt');
    const text = sentences(120);
    writeFileSync(file, text);
    const chars = new Set(Array.from(text)).size;
    const c = weft(['run', file, '--model', 'tiny', '--steps', '1', '--no-log']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(new RegExp(`^words: 2 layers, d 32, 4 heads, dff 128, V ${chars}, T 16`, 'm'));
    // varied enough that 256 merges leave more than one window of tokens
    const varied = join(dir, 'varied.txt');
    writeFileSync(varied, Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 100_003).toString(36)).join(' '));
    const b = weft(['run', varied, '--model', 'tiny', '--set', 'data.tokenizer=bpe', '--steps', '1', '--no-log']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/^varied: 2 layers, d 32, 4 heads, dff 128, V 512, T 16/m);
  });

  it('a word vocabulary cut by model.vocabSize (below the file\'s words) is said when the run starts, not silently', () => {
    const dir = tempDir();
    const file = join(dir, 'words.txt');
    writeFileSync(file, sentences(120)); // 12 words and '.'
    const run = (v: string) => weft(['run', file, '--model', 'tiny', '--set', `model.vocabSize=${v}`, '--set', 'data.tokenizer=word', '--steps', '1', '--no-log']);
    const cut = run('8');
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toMatch(/^ {2}note: .*words\.txt has 13 distinct words: V 8 keeps the 7 commonest, the rest read as <unk> \(--set model\.vocabSize=0 keeps them all\)$/m);
    const all = run('0');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/V 14,/);
    expect(all.stderr).not.toMatch(/note:/);
  });
});

describe('a changed, missing or moved file', () => {
  it('verify, fork and --resume refuse a changed or missing file in one line naming it and both hashes (exit 2); --data points them at a moved copy', () => {
    const dir = tempDir();
    const file = join(dir, 'd.txt');
    const text = sentences(150);
    writeFileSync(file, text);
    const logged = sha256Hex(Buffer.from(text));
    const out = join(dir, 'd.weft');
    expect(weft(['run', file, ...TINY, '--steps', '6', '--set', 'record.keyframeEvery=2', '--out', out]).code).toBe(0);
    // a killed run, to resume: its log cut in the middle of its steps
    const killed = join(dir, 'killed.weft');
    copyFileSync(out, killed);
    truncateSync(killed, Math.floor(statSync(out).size * 0.6));

    writeFileSync(file, `${text}!`);
    const now = sha256Hex(Buffer.from(`${text}!`));
    for (const args of [['verify', out, '--quiet'], ['fork', out, '--at', '2', '--out', join(dir, 'f.weft'), '--quiet'], ['run', file, '--resume', '--out', killed, '--quiet']]) {
      const r = weft(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`data.path ${file}: changed since the log was written`);
      expect(r.stderr).toContain(logged);
      expect(r.stderr).toContain(now);
    }
    expect(existsSync(join(dir, 'f.weft'))).toBe(false);

    // moved: missing where the log says, and --data at the copy
    const copy = join(dir, 'moved.txt');
    writeFileSync(copy, text);
    renameSync(file, join(dir, 'changed.txt'));
    const missing = weft(['verify', out, '--quiet']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(new RegExp(`data\\.path ${file}: missing — the log's is ${Buffer.byteLength(text)} bytes, sha256 ${logged}`));
    expect(weft(['verify', out, '--quiet', '--data', copy]).code).toBe(0);
    const wrongCopy = weft(['verify', out, '--quiet', '--data', join(dir, 'changed.txt')]);
    expect(wrongCopy.code).toBe(2);
    expect(wrongCopy.stderr).toContain(now);
    const fork = weft(['fork', out, '--at', '2', '--out', join(dir, 'f.weft'), '--quiet', '--data', copy]);
    expect(fork.code, fork.stderr).toBe(0);
    const resumed = weft(['run', file, '--resume', '--out', killed, '--data', copy, '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // the resumed log is the uninterrupted one, byte for byte (the header keeps the path it was trained on)
    expect(Buffer.compare(readFileSync(killed), readFileSync(out))).toBe(0);
    expect(weft(['verify', join(dir, 'f.weft'), '--quiet', '--data', copy]).code).toBe(0);
    // --data on a log whose data is not a file
    const story = join(dir, 'story.weft');
    expect(weft(['run', 'baseline', '--model', 'tiny', '--steps', '1', '--out', story, '--quiet']).code).toBe(0);
    const notFile = weft(['verify', story, '--data', copy]);
    expect(notFile.code).toBe(2);
    expect(notFile.stderr).toMatch(/--data .*: the log's data is not a file/);
  });
});

describe('bad input: one line naming the file or field, exit 2, nothing written', () => {
  it('a missing, empty, binary, non-UTF-8, unreadable or too short text file; a token file with an odd byte count or an id beyond the vocabulary; trainFraction 0, or 1 where a split is needed', () => {
    const dir = tempDir();
    const f = (name: string, bytes: Uint8Array | string) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    const good = f('good.txt', sentences(50));
    mkdirSync(join(dir, 'adir.txt'));
    const cases: [string[], RegExp][] = [
      [[join(dir, 'nope.txt')], /data\.path: .*nope\.txt: no such file \(expected a UTF-8 text file\)/],
      [[f('empty.txt', '')], /data\.path: .*empty\.txt is empty/],
      [[f('nul.txt', Buffer.from('abc\0def ghi jkl mno pqr stu'))], /data\.path: .*nul\.txt is binary, not text: a NUL byte at byte 3/],
      [[f('latin1.txt', Buffer.from([...Buffer.from('caf'), 0xe9, ...Buffer.from(' au lait, encore et encore')]))], /data\.path: .*latin1\.txt is not UTF-8 text: byte 3 \(0xe9\)/],
      [[join(dir, 'adir.txt')], /data\.path: .*adir\.txt: cannot read it \(EISDIR/],
      [[f('short.txt', 'too short')], /data\.path: .*short\.txt has 9 tokens \(char\): one window of model\.contextLength \+ 1 = 17 tokens needs at least 17/],
      [[f('odd.bin', Buffer.alloc(101)), '--set', 'model.vocabSize=64'], /data\.path: .*odd\.bin has 101 bytes, an odd count: a uint16 token file has 2 bytes per token/],
      [[f('big.bin', Buffer.from(Uint16Array.from([...Array(40).fill(1), 64, 2]).buffer)), '--set', 'model.vocabSize=64'], /data\.path: .*big\.bin: token 40 \(byte 80\) is 64, not below the vocabulary size 64 \(model\.vocabSize\)/],
      [[join(dir, 'big.bin'), '--set', 'model.vocabSize=0'], /model\.vocabSize: a token file does not say its vocabulary size/],
      [[good, '--set', 'data.trainFraction=0'], /data\.trainFraction: must be > 0, got 0/],
      [[good, '--set', 'data.trainFraction=1'], /eval: evaluation needs held-out examples: set data\.trainFraction below 1/],
      [['baseline', '--set', 'data.kind=text'], /data\.path: is required for data\.kind text/],
    ];
    for (const [args, message] of cases) {
      const out = join(dir, 'out.weft');
      const r = weft(['run', args[0], '--model', 'tiny', '--steps', '2', ...args.slice(1), '--out', out]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out), args.join(' ')).toBe(false);
      expect(existsSync(join(dir, 'out.report.json'))).toBe(false);
    }
  });
});
