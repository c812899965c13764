import { copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBpe, encodeBpe, trainBpe } from '../../src/data/bpe.ts';
import { charVocabulary } from '../../src/data/text.ts';
import { openLog } from '../../src/log/reader.ts';
import { batchLogits, logits, modelStateAt, sample, softmax, textCodecOf } from '../../src/replay/sample.ts';
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
    expect(weft(['sample', log, '--prompt', PROMPT, '--tokens', '1']).stdout).toMatch(/^after step 3, greedy: \[the prompt\] and 1 word\n/);
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
    const cases: [string[], RegExp][] = [
      [[log, '--prompt', 'zorblax quux'], /--prompt "zorblax quux": none of its words is in the run's vocabulary \(zorblax, quux\)$/],
      [[log, '--prompt', PROMPT, '--at', '9'], /--at 9: the log holds steps 0…3$/],
      [[log, '--prompt', PROMPT, '--temperature=-1'], /--temperature -1: expected a number ≥ 0 \(0 = greedy\)$/],
      [[log, '--prompt', PROMPT, '--temperature', 'hot'], /--temperature: expected a number, got "hot"$/],
      [[log, '--prompt', PROMPT, '--top-k', '0'], /--top-k 0: expected a whole number ≥ 1 \(leave it out to keep every token\)$/],
      [[log, '--prompt', PROMPT, '--top-p', '0'], /--top-p 0: expected a number in \(0, 1\]$/],
      [[log, '--prompt', PROMPT, '--top-p', '1.01'], /--top-p 1.01: expected a number in \(0, 1\]$/],
      [[log, '--prompt', PROMPT, '--top-k', '3'], /--top-k applies when sampling: give --temperature above 0 too \(at 0, greedy, the likeliest token is taken\)$/],
      [[log, '--prompt', PROMPT, '--top-p', '0.9', '--temperature', '0'], /--top-p applies when sampling: give --temperature above 0 too/],
      [[log, '--prompt', 'the cat '.repeat(9)], /--prompt: 18 tokens, more than the model's context of 16$/],
      [[random, '--prompt', PROMPT], /random\.weft: weft sample reads a prompt as text, and a run on the random corpus has token ids only \(the library's sample takes token ids\)$/],
      [[log, '--prompt', PROMPT, '--data', 'x.txt'], /^weft sample: --data x\.txt: only a BPE run reads its data file \(to train its merges again\); this one's text is in the log$/],
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

  describe('a text file read by characters or byte-level BPE: the prompt read and the continuation written with the run\'s own tokenizer', () => {
    const text = readFileSync(`${ROOT}/docs/data/sonnets.txt`, 'utf8');
    const chars = join(dir, 'chars.weft');
    const bpe = join(dir, 'bpe.weft');
    // the BPE run's file is a copy of its own, moved away below
    const file = join(dir, 'sonnets.txt');
    beforeAll(() => {
      copyFileSync(`${ROOT}/docs/data/sonnets.txt`, file);
      expect(weft(['run', `${ROOT}/docs/data/sonnets.txt`, ...TINY_SETS, '--set', 'model.vocabSize=0', '--steps', '2', '--out', chars, '--quiet']).code).toBe(0);
      expect(weft(['run', file, ...TINY_SETS, '--set', 'model.vocabSize=0', '--set', 'data.tokenizer=bpe', '--steps', '2', '--out', bpe, '--quiet']).code).toBe(0);
    });

    it('characters (weft run FILE.txt): each a token, the continuation joined; --json is the library\'s sample; a character the run never saw is left out and named', () => {
      const j = weft(['sample', chars, '--prompt', 'Shall I', '--tokens', '9', '--json']);
      expect(j.code, j.stderr).toBe(0);
      const s = JSON.parse(j.stdout);
      const vocab = charVocabulary(Array.from(text));
      expect(s.prompt.ids).toEqual(Array.from('Shall I', (c) => vocab.indexOf(c)));
      expect(s.prompt.words).toEqual(Array.from('Shall I'));
      expect(s.generated).toHaveLength(9);
      expect(s.continuation).toBe(s.generated.map((g: { id: number }) => vocab[g.id]).join(''));
      expect(s.text).toBe(`Shall I${s.continuation}`);
      const reader = openLog(chars);
      expect(JSON.parse(JSON.stringify(sample(modelStateAt(reader), 'Shall I', { tokens: 9 })))).toEqual(s);
      reader.close();
      const r = weft(['sample', chars, '--prompt', 'Shall I', '--tokens', '9']);
      expect(r.stdout).toBe(`after step 2, greedy: [the prompt] and 9 characters\n[Shall I]${s.continuation}\n`);
      // Ï is no character of the sonnets: left out, named; past the context the window slides, said in characters
      const u = weft(['sample', chars, '--prompt', 'ShallÏ I', '--tokens', '12', '--show-probs']);
      expect(u.code, u.stderr).toBe(0);
      expect(u.stdout).toMatch(/^after step 2, greedy: \[the prompt\] and 12 characters\n\[Shall I\]/);
      expect(u.stdout.split('\n').filter((l) => /^ +\d+ ".+" +[01]\.\d{3}   others: ".+" [01]\.\d{3} · /.test(l))).toHaveLength(12);
      expect(u.stdout).toMatch(/\nnot in the run's characters, left out: "Ï"\nthe context holds 16 characters: from character 18 on, each was predicted from the 16 before it \(the window slides\)\n$/);
      // the same bytes on either kernel set, seeded
      const seeded = ['sample', chars, '--prompt', 'Shall I', '--tokens', '20', '--temperature', '0.8', '--seed', '3'];
      expect(weft([...seeded, '--kernels', 'fast', '--threads', '3']).stdout).toBe(weft([...seeded, '--kernels', 'reference']).stdout);
    });

    it('byte-level BPE (--set data.tokenizer=bpe): the prompt\'s UTF-8 bytes by the run\'s merges, trained again from its file; tokens back to bytes, read as UTF-8', () => {
      const prompt = 'Shall I be naïve';
      const j = weft(['sample', bpe, '--prompt', prompt, '--tokens', '6', '--json']);
      expect(j.code, j.stderr).toBe(0);
      const s = JSON.parse(j.stdout);
      // the run's tokenizer: minbpe's training on the file's bytes, 512 tokens (model.vocabSize 0)
      const { merges, names } = trainBpe(readFileSync(file), 512);
      expect(s.prompt.ids).toEqual(Array.from(encodeBpe(new TextEncoder().encode(prompt), merges)));
      expect(s.prompt.ids.length).toBeLessThan(new TextEncoder().encode(prompt).length); // merged, not bytes
      expect(s.prompt.words).toEqual(s.prompt.ids.map((id: number) => names[id]));
      const ids = [...s.prompt.ids, ...s.generated.map((g: { id: number }) => g.id)];
      expect(s.text).toBe(new TextDecoder().decode(decodeBpe(ids, merges)));
      expect(s.continuation).toBe(new TextDecoder().decode(decodeBpe(s.generated.map((g: { id: number }) => g.id), merges)));
      const reader = openLog(bpe);
      expect(JSON.parse(JSON.stringify(sample({ ...modelStateAt(reader), codec: textCodecOf(reader) }, prompt, { tokens: 6 })))).toEqual(s);
      reader.close();
      const r = weft(['sample', bpe, '--prompt', prompt, '--tokens', '6']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`after step 2, greedy: [the prompt] and 6 tokens\n[${prompt}]${s.continuation}\n`);
      // the file moved: one line naming it and its hash, exit 2; --data points at it
      const moved = join(dir, 'moved.txt');
      renameSync(file, moved);
      const gone = weft(['sample', bpe, '--prompt', prompt, '--tokens', '6']);
      expect(gone.code).toBe(2);
      expect(gone.stderr).toMatch(/^weft sample: data\.path \S+sonnets\.txt: missing — the log's is 3078 bytes, sha256 [0-9a-f]{64}; --data PATH points the log at a copy\n$/);
      expect(weft(['sample', bpe, '--prompt', prompt, '--tokens', '6', '--data', moved]).stdout).toBe(r.stdout);
      renameSync(moved, file);
    });

    it('bad input: a prompt none of whose characters the run knows, an empty one — one line, exit 2', () => {
      const cases: [string[], RegExp][] = [
        [[chars, '--prompt', 'ZZ€'], /^weft sample: --prompt "ZZ€": none of its characters is in the run's vocabulary \("Z", "€"\)$/],
        [[chars, '--prompt', ''], /^weft sample: --prompt "": no characters in it$/],
        [[bpe, '--prompt', ''], /^weft sample: --prompt "": no characters in it$/],
        [[chars, '--prompt', 'Shall I compare thee'], /^weft sample: --prompt: 20 tokens, more than the model's context of 16$/],
      ];
      for (const [args, msg] of cases) {
        const r = weft(['sample', ...args]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr.trimEnd(), args.join(' ')).toMatch(msg);
      }
    });
  });

  describe('a task\'s run: the prompt in the task\'s format, what the model writes scored by its rule', () => {
    const modular = join(dir, 'modular.weft');
    const division = join(dir, 'division.weft');
    const induction = join(dir, 'induction.weft');
    beforeAll(() => {
      expect(weft(['run', 'modular-addition', '--steps', '30', '--out', modular, '--quiet']).code).toBe(0);
      expect(weft(['run', 'modular-addition', '--set', 'data.op=/', '--steps', '1', '--out', division, '--quiet']).code).toBe(0);
      expect(weft(['run', 'induction', '--steps', '5', '--out', induction, '--quiet']).code).toBe(0);
    });

    /** What the library says of the modular run's last state, without sample: every pair's answer row through one full forward pass. */
    function modularAnswers() {
      const reader = openLog(modular);
      const state = modelStateAt(reader);
      reader.close();
      const pairs = Array.from({ length: 23 * 23 }, (_, i) => [Math.floor(i / 23), i % 23]);
      const rows = batchLogits(state, pairs.map(([a, b]) => [a, 23, b, 24]));
      return pairs.map(([a, b], i) => {
        const p = softmax(rows[i].slice(3 * 26, 4 * 26));
        const own = p.indexOf(Math.max(...p));
        return { a, b, answer: (a + b) % 23, own, p };
      });
    }

    it('modular: "a + b =" (spaces or none) — the answer, ✓ or ✗, the probabilities of the right answer and of the model\'s; --json is the library\'s sample', () => {
      const answers = modularAnswers();
      const right = answers.find((x) => x.own === x.answer)!;
      const wrong = answers.find((x) => x.own !== x.answer)!;
      expect(right && wrong).toBeTruthy();
      const r = weft(['sample', modular, '--prompt', `${right.a} + ${right.b} =`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`after step 30, greedy: [the prompt] and 1 token\n[${right.a} + ${right.b} =] ${right.answer}\n✓ the answer of a + b mod 23 is ${right.answer}: the model writes it, probability ${right.p[right.answer].toFixed(3)}\n`);
      expect(weft(['sample', modular, '--prompt', `${right.a}+${right.b}=`]).stdout).toBe(r.stdout);
      const w = weft(['sample', modular, '--prompt', `${wrong.a} + ${wrong.b} =`, '--show-probs']);
      expect(w.code, w.stderr).toBe(0);
      const lines = w.stdout.split('\n');
      expect(lines[1]).toBe(`[${wrong.a} + ${wrong.b} =] ${wrong.own}`);
      expect(lines[2]).toMatch(new RegExp(`^ {4}5 ${wrong.own} +${wrong.p[wrong.own].toFixed(3)}   others: .+   ✗ right: ${wrong.answer} ${wrong.p[wrong.answer].toFixed(3)}$`));
      expect(lines[3]).toBe(`✗ the answer of a + b mod 23 is ${wrong.answer}, probability ${wrong.p[wrong.answer].toFixed(3)}; the model writes ${wrong.own}, probability ${wrong.p[wrong.own].toFixed(3)}`);
      expect(lines.slice(4)).toEqual(['']);
      // --json: the library's sample, its score the full pass's probabilities bit for bit
      const j = weft(['sample', modular, '--prompt', `${wrong.a} + ${wrong.b} =`, '--json']);
      expect(j.code, j.stderr).toBe(0);
      const s = JSON.parse(j.stdout);
      const reader = openLog(modular);
      const state = modelStateAt(reader);
      reader.close();
      expect(JSON.parse(JSON.stringify(sample(state, `${wrong.a} + ${wrong.b} =`)))).toEqual(s);
      expect(s.options.tokens).toBe(1);
      expect(s.prompt.ids).toEqual([wrong.a, 23, wrong.b, 24]);
      expect(s.generated.map((g: { id: number }) => g.id)).toEqual([wrong.own]);
      expect(s.generated[0].probability).toBe(wrong.p[wrong.own]);
      expect(s.score).toEqual({ task: 'modular task a + b mod 23', rule: 'the answer of a + b mod 23', scored: 1, correct: 0, tokens: [{ expected: wrong.answer, word: String(wrong.answer), correct: false, expectedProbability: wrong.p[wrong.answer] }] });
      // the library takes the ids too, and scores them alike
      expect(sample(state, [wrong.a, 23, wrong.b, 24]).score).toEqual(s.score);
      // more tokens: the answer alone is scored (the window slides past the example)
      const more = weft(['sample', modular, '--prompt', `${right.a} + ${right.b} =`, '--tokens', '3', '--json']);
      expect(JSON.parse(more.stdout).score).toMatchObject({ scored: 1, correct: 1, tokens: [{ expected: right.answer, correct: true }, null, null] });
    });

    it('modular: a prompt not a ∘ b = with a, b in range (b ≠ 0 for ÷), or with another operator, is one line naming it, exit 2', () => {
      const plus = '(a prompt of this run is a + b = with a, b in 0…22)';
      const cases: [string, string, string][] = [
        [modular, '37 + 58 =', `37 is not a number mod 23 ${plus}`],
        [modular, '3 - 5 =', `the operator is -, and this run's is + ${plus}`],
        [modular, '3 + 5', `not a number, an operator, a number and = ${plus}`],
        [modular, 'the cat', `not a number, an operator, a number and = ${plus}`],
        [division, '6 / 0 =', 'b is 0, which has no inverse mod 23 (a prompt of this run is a / b = with a in 0…22, b in 1…22)'],
      ];
      for (const [log, prompt, msg] of cases) {
        const r = weft(['sample', log, '--prompt', prompt]);
        expect(r.code, prompt).toBe(2);
        expect(r.stderr, prompt).toBe(`weft sample: --prompt ${JSON.stringify(prompt)}: ${msg}\n`);
      }
      const ok = weft(['sample', division, '--prompt', '6 ÷ 3 =', '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ prompt: { ids: [6, 23, 3, 24], words: ['6', '/', '3', '='] }, score: { rule: 'the answer of a / b mod 23', tokens: [{ expected: 2 }] } });
    });

    it('induction: ids separated by spaces, the continuation as ids, each token scored by the induction rule; --json is the library\'s', () => {
      const prompt = '5 17 3 9 5 17';
      const j = weft(['sample', induction, '--prompt', prompt, '--tokens', '6', '--json']);
      expect(j.code, j.stderr).toBe(0);
      const s = JSON.parse(j.stdout);
      const reader = openLog(induction);
      const state = modelStateAt(reader);
      reader.close();
      expect(JSON.parse(JSON.stringify(sample(state, prompt, { tokens: 6 })))).toEqual(s);
      const ids: number[] = s.generated.map((g: { id: number }) => g.id);
      const seq = [5, 17, 3, 9, 5, 17, ...ids];
      expect(s.continuation).toBe(ids.join(' '));
      // the rule by hand: the token after the previous occurrence of the one before, in the rule's
      // own continuation of the prompt (never in what the model wrote: a model repeating one
      // token is not right by its repeats); each probability from one full pass over the model's
      const full = logits(state, seq.slice(0, -1));
      const ruled = [5, 17, 3, 9, 5, 17];
      const tokens = ids.map((id, i) => {
        const t = 6 + i;
        const before = ruled.slice(0, t - 1).lastIndexOf(ruled[t - 1]);
        const expected = before < 0 ? null : ruled[before + 1];
        ruled.push(expected ?? id);
        return expected === null ? null : { expected, word: String(expected), correct: id === expected, expectedProbability: softmax(full.slice((t - 1) * 64, t * 64))[expected] };
      });
      expect(tokens.map((t) => t?.expected)).toEqual([3, 9, 5, 17, 3, 9]);
      const correct = tokens.filter((t) => t?.correct).length;
      expect(s.score).toEqual({ task: 'induction task (random runs repeated)', rule: 'the token after the previous occurrence of the token before it', scored: tokens.filter((t) => t).length, correct, tokens });
      const r = weft(['sample', induction, '--prompt', prompt, '--tokens', '6', '--show-probs']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 2)).toEqual(['after step 5, greedy: [the prompt] and 6 tokens', `[${prompt}] ${s.continuation}`]);
      expect(lines.slice(2, 8).map((l) => (/   ✓$/.test(l) ? true : /   ✗ right: \d+ [01]\.\d{3}$/.test(l) ? false : null))).toEqual(tokens.map((t) => t && t.correct));
      const unscored = tokens.filter((t) => t === null).length;
      const rest = unscored ? `; ${unscored} not scored (the rule names no token for ${unscored === 1 ? 'it' : 'them'})` : '';
      expect(lines.slice(8)).toEqual([`${correct} of ${6 - unscored} tokens right by the rule: the token after the previous occurrence of the token before it${rest}`, '']);
      for (const [bad, msg] of [['5 64', '64 is not a token id of the run\'s vocabulary'], ['5 x 3', 'x is not a token id'], ['', 'no token ids in it']]) {
        const e = weft(['sample', induction, '--prompt', bad]);
        expect(e.code, bad).toBe(2);
        expect(e.stderr, bad).toBe(`weft sample: --prompt ${JSON.stringify(bad)}: ${msg} (a prompt of this run is token ids 0…63 separated by spaces)\n`);
      }
    });

    it('--track on a task run says completion probes need words (not a story prompt to record)', () => {
      const r = weft(['sample', modular, '--track']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`weft sample: ${modular}: no completion probes (they need a run on words; sample a step instead: weft sample ${modular} --at N --prompt …)\n`);
    });

    it('the same bytes twice, and on either kernel set, greedy and seeded', () => {
      for (const args of [[modular, '--prompt', '3 + 5 =', '--show-probs'], [modular, '--prompt', '3 + 5 =', '--temperature', '0.8', '--seed', '3', '--tokens', '2'], [induction, '--prompt', '5 17 3 9 5 17', '--temperature', '0.8', '--seed', '3', '--show-probs']]) {
        const ref = weft(['sample', ...args, '--kernels', 'reference']);
        expect(ref.code, ref.stderr).toBe(0);
        expect(weft(['sample', ...args, '--kernels', 'reference']).stdout).toBe(ref.stdout);
        expect(weft(['sample', ...args, '--kernels', 'fast', '--threads', '3']).stdout).toBe(ref.stdout);
      }
    });
  });
});
