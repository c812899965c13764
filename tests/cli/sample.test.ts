import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { modelStateAt, sample } from '../../src/replay/sample.ts';
import { ROOT, TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const PROMPT = 'The scientists published their';

describe('weft sample', () => {
  const dir = tempDir();
  const log = join(dir, 'run.weft');
  const random = join(dir, 'random.weft');
  beforeAll(() => {
    expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', '3', '--out', log, '--quiet']).code).toBe(0);
  });

  it('prints the prompt marked and its continuation; --json is the library’s sample of the replayed state', () => {
    const r = weft(['sample', log, '--prompt', PROMPT, '--tokens', '6']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^after step 3, greedy: \[the prompt\] and 6 words\n\[the scientists published their\] \S/);
    expect(r.stdout).not.toMatch(/window slides/); // 4 + 6 words fit the context of 16
    const j = weft(['sample', log, '--prompt', PROMPT, '--tokens', '6', '--at', '1', '--temperature', '0.8', '--seed', '3', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const reader = openLog(log);
    const expected = sample(modelStateAt(reader, 1), PROMPT, { tokens: 6, temperature: 0.8, seed: 3 });
    reader.close();
    expect(JSON.parse(j.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(expected).toMatchObject({ step: 1, options: { tokens: 6, temperature: 0.8, topK: null, topP: 1, seed: 3 }, prompt: { words: ['the', 'scientists', 'published', 'their'] } });
  });

  it('--show-probs: one line per written word with its probability and the others; past the context the window slides, said once', () => {
    const r = weft(['sample', log, '--prompt', PROMPT, '--tokens', '14', '--show-probs']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^ +\d+ \S+ +[01]\.\d{3}   others: /.test(l));
    expect(rows.map((l) => Number(l.trim().split(' ')[0]))).toEqual(Array.from({ length: 14 }, (_, i) => 5 + i));
    expect(r.stdout).toMatch(/\nthe context holds 16 words: from word 18 on, each was predicted from the 16 before it \(the window slides\)\n$/);
  });

  it('the same bytes whatever the kernels and threads, greedy and seeded', () => {
    for (const opts of [[], ['--temperature', '0.8', '--seed', '3', '--top-k', '10', '--top-p', '0.9', '--show-probs']]) {
      const args = ['sample', log, '--prompt', PROMPT, '--tokens', '20', ...opts];
      const ref = weft([...args, '--kernels', 'reference']);
      expect(ref.code, ref.stderr).toBe(0);
      expect(weft([...args, '--kernels', 'fast', '--threads', '3']).stdout).toBe(ref.stdout);
      expect(weft([...args, '--kernels', 'fast', '--threads', '1']).stdout).toBe(ref.stdout);
    }
  });

  it('bad input: one line naming what is wrong, exit 2', () => {
    expect(weft(['run', 'baseline', ...TINY_SETS, '--set', 'data.corpus=random', '--steps', '1', '--out', random, '--quiet']).code).toBe(0);
    // a user's text read by characters: its reason is its own (it said "the story corpus")
    const chars = join(dir, 'chars.weft');
    expect(weft(['run', `${ROOT}/docs/data/sonnets.txt`, ...TINY_SETS, '--set', 'model.vocabSize=0', '--steps', '1', '--out', chars, '--quiet']).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [[log, '--prompt', 'zorblax quux'], /--prompt "zorblax quux": none of its words is in the run's vocabulary \(zorblax, quux\)$/],
      [[log, '--prompt', PROMPT, '--at', '9'], /--at 9: the log holds steps 0…3$/],
      [[log, '--prompt', PROMPT, '--temperature=-1'], /--temperature -1: expected a number ≥ 0 \(0 = greedy\)$/],
      [[log, '--prompt', PROMPT, '--temperature', 'hot'], /--temperature: expected a number, got "hot"$/],
      [[log, '--prompt', PROMPT, '--top-k', '0'], /--top-k 0: expected a whole number ≥ 1 \(leave it out to keep every token\)$/],
      [[log, '--prompt', PROMPT, '--top-p', '0'], /--top-p 0: expected a number in \(0, 1\]$/],
      [[log, '--prompt', PROMPT, '--top-p', '1.01'], /--top-p 1.01: expected a number in \(0, 1\]$/],
      [[log, '--prompt', 'the cat '.repeat(9)], /--prompt: 18 tokens, more than the model's context of 16$/],
      [[chars, '--prompt', 'Shall I'], /chars\.weft: weft sample reads a prompt as words, and a run on the text file \S+sonnets\.txt \(char\) has char tokens, not words/],
      [[random, '--prompt', PROMPT], /random\.weft: weft sample reads a prompt as words, and a run on the random corpus has token ids only \(the library's sample takes token ids\)$/],
    ];
    for (const [args, msg] of cases) {
      const r = weft(['sample', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trimEnd(), args.join(' ')).toMatch(msg);
    }
    const missing = weft(['sample', log]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^weft sample: --prompt TEXT is required\nusage: weft sample /);
    const help = weft(['sample', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^weft sample <log\.weft> --prompt TEXT/);
    expect(weft(['--help']).stdout).toMatch(/\n  sample +what the model writes after a prompt/);
  });
});
