// A task's prompt format and rule (TaskKind.format): how `weft sample` reads a modular or an
// induction prompt, and which next token it scores as right — the same answer the task's own
// examples train on, for every example.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { taskFormatOf, taskKindOf } from '../../src/data/registry.ts';
import type { DataConfig } from '../../src/data/task.ts';
import { IGNORED_TARGET } from '../../src/kernels/types.ts';
import { UsageError } from '../../src/errors.ts';

const data = (over: Partial<DataConfig>): DataConfig => ({ ...DEFAULT_CONFIG.data, ...over });

/** The UsageError's message a call throws (and that it throws one). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error thrown');
}

describe('the modular task\'s prompts and rule', () => {
  const model = { vocabSize: 26, contextLength: 4 };

  it('reads a ∘ b = with spaces or none, the run\'s operator (× and ÷ as * and /), into the ids the task trains on', () => {
    const f = taskFormatOf(data({ kind: 'modular', p: 23, op: '+' }), model)!;
    expect(f.tokens).toBe(1);
    expect(f.task).toBe('modular task a + b mod 23');
    expect(f.read('3 + 5 =')).toEqual([3, 23, 5, 24]);
    expect(f.read('3+5=')).toEqual([3, 23, 5, 24]);
    expect(f.read('  22 +0 = ')).toEqual([22, 23, 0, 24]);
    expect([0, 22, 23, 24, 25, 30].map(f.name)).toEqual(['0', '22', '+', '=', '<pad>', '<30>']);
    const times = taskFormatOf(data({ kind: 'modular', p: 23, op: '*' }), model)!;
    expect(times.read('4 × 6 =')).toEqual(times.read('4*6='));
    const over = taskFormatOf(data({ kind: 'modular', p: 23, op: '/' }), model)!;
    expect(over.read('6 ÷ 3 =')).toEqual([6, 23, 3, 24]);
  });

  it('a prompt not in the format, a number out of range, another operator, b = 0 for ÷: a UsageError naming it and the format', () => {
    const f = taskFormatOf(data({ kind: 'modular', p: 23, op: '+' }), model)!;
    const format = '(a prompt of this run is a + b = with a, b in 0…22)';
    expect(refusal(() => f.read('37 + 5 ='))).toBe(`--prompt "37 + 5 =": 37 is not a number mod 23 ${format}`);
    expect(refusal(() => f.read('3 + 23 ='))).toBe(`--prompt "3 + 23 =": 23 is not a number mod 23 ${format}`);
    expect(refusal(() => f.read('3 * 5 ='))).toBe(`--prompt "3 * 5 =": the operator is *, and this run's is + ${format}`);
    for (const bad of ['3 + 5', '3 + 5 = 8', '', '1 + 2 + 3 =', '3 + -5 =', '3.5 + 1 =', 'a + b ='])
      expect(refusal(() => f.read(bad))).toBe(`--prompt ${JSON.stringify(bad)}: not a number, an operator, a number and = ${format}`);
    const over = taskFormatOf(data({ kind: 'modular', p: 23, op: '/' }), model)!;
    expect(refusal(() => over.read('6 / 0 ='))).toBe('--prompt "6 / 0 =": b is 0, which has no inverse mod 23 (a prompt of this run is a / b = with a in 0…22, b in 1…22)');
  });

  it('the rule\'s answer is every example\'s trained answer, for each operator; after anything but a ∘ b = it names none', () => {
    for (const op of ['+', '-', '*', '/'] as const) {
      const d = data({ kind: 'modular', p: 7, op });
      const f = taskFormatOf(d, { vocabSize: 10, contextLength: 4 })!;
      const task = taskKindOf('modular').build(d, { vocabSize: 0, contextLength: 4 });
      const [inputs, targets] = [new Int32Array(4), new Int32Array(4)];
      for (let i = 0; i < task.examples; i++) {
        task.write(i, inputs, targets);
        expect(f.next(Array.from(inputs)), `${op} example ${i}`).toBe(targets[3]);
      }
      expect(f.rule).toBe(`the answer of a ${op} b mod 7`);
    }
    const f = taskFormatOf(data({ kind: 'modular', p: 7, op: '+' }), { vocabSize: 10, contextLength: 4 })!;
    expect(f.next([3, 7, 5])).toBeNull();
    expect(f.next([7, 5, 8, 1])).toBeNull(); // the window after the answer
    expect(f.next([3, 8, 5, 8])).toBeNull();
  });
});

describe('the induction task\'s prompts and rule', () => {
  const d = data({ kind: 'induction', randomTokens: 4096, trainFraction: 0.5 });

  it('reads token ids separated by spaces; an id out of the vocabulary, a word, nothing: a UsageError naming it', () => {
    const f = taskFormatOf(d, { vocabSize: 64, contextLength: 32 })!;
    expect(f.read(' 5 17  3\t9 5 17 ')).toEqual([5, 17, 3, 9, 5, 17]);
    expect(f.name(17)).toBe('17');
    const format = '(a prompt of this run is token ids 0…63 separated by spaces)';
    expect(refusal(() => f.read('5 64'))).toBe(`--prompt "5 64": 64 is not a token id of the run's vocabulary ${format}`);
    expect(refusal(() => f.read('5 x'))).toBe(`--prompt "5 x": x is not a token id ${format}`);
    expect(refusal(() => f.read('5 -1'))).toBe(`--prompt "5 -1": -1 is not a token id ${format}`);
    expect(refusal(() => f.read(' '))).toBe(`--prompt " ": no token ids in it ${format}`);
    expect(refusal(() => taskFormatOf(d, { vocabSize: 20, contextLength: 32 })!.read('19 20'))).toMatch(/20 is not a token id of the run's vocabulary \(a prompt of this run is token ids 0…19/);
  });

  it('the rule: the token after the last one\'s previous occurrence — every counted target of the repeats, none for a new token', () => {
    const T = 32;
    const f = taskFormatOf(d, { vocabSize: 64, contextLength: T })!;
    expect(f.next([5, 17, 3, 9, 5, 17])).toBe(3);
    expect(f.next([5, 17, 3, 17])).toBe(3);
    expect(f.next([5, 17, 3, 5, 9, 5])).toBe(9); // the latest occurrence
    expect(f.next([5, 17, 3])).toBeNull();
    const task = taskKindOf('induction').build(d, { vocabSize: 64, contextLength: T });
    const [inputs, targets] = [new Int32Array(T), new Int32Array(T)];
    let scored = 0;
    for (let i = 0; i < 20; i++) {
      task.write(i, inputs, targets);
      for (let t = 0; t < T; t++) {
        const rule = f.next(Array.from(inputs.subarray(0, t + 1)));
        // the first run is new tokens (the rule names none); every later position is its repeat
        if (rule === null) expect(inputs.subarray(0, t).includes(inputs[t])).toBe(false);
        else {
          if (targets[t] !== IGNORED_TARGET) expect(rule, `sequence ${i} position ${t}`).toBe(targets[t]);
          scored++;
        }
      }
    }
    expect(scored).toBeGreaterThan(20 * T / 3);
  });
});
