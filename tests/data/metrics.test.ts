// A task's metrics: accuracy where a task has one answer (the argmax of the logits at the answer
// is the target), and an evaluation of a split: loss and accuracy, dropout off.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, TINY, validateConfig } from '../../src/config/config.ts';
import { correctAnswers, evaluate } from '../../src/data/metrics.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { IGNORED_TARGET } from '../../src/kernels/types.ts';
import type { GPT } from '../../src/model/gpt.ts';

const I = IGNORED_TARGET;

describe('correctAnswers', () => {
  it('counts the counted targets whose logits peak at them: the first maximum, as torch.argmax; a NaN row is wrong', () => {
    const logits = [
      0, 2, 1, // argmax 1
      5, 5, 0, // a tie: the first, 0
      9, 9, 9, // ignored
      0, NaN, 3, // NaN: never right
      -1, -2, -0.5, // argmax 2
    ];
    expect(correctAnswers(logits, Int32Array.from([1, 1, I, 2, 2]), 3)).toEqual({ counted: 4, correct: 2 });
    expect(correctAnswers(logits, Int32Array.from([0, 0, 0, 2, 0]), 3)).toEqual({ counted: 5, correct: 2 });
  });
});

describe('evaluate', () => {
  const config = validateConfig(mergeConfig(DEFAULT_CONFIG, { steps: 40, model: { ...TINY, vocabSize: 0, contextLength: 4, dropout: 0 }, optim: { lr: 0.01 }, data: { kind: 'modular', p: 7, trainFraction: 0.5, batchSize: 8 } }));

  it('measures both splits of the modular task: loss over the answers and their accuracy, in a fixed order', () => {
    const t = new Trainer(config);
    for (let s = 0; s < 40; s++) t.step();
    const train = evaluate(t.data, t.model as GPT, 'train');
    const held = evaluate(t.data, t.model as GPT, 'heldOut');
    expect(train).toMatchObject({ split: 'train', examples: 24, counted: 24 });
    expect(held).toMatchObject({ split: 'heldOut', examples: 25, counted: 25 });
    for (const m of [train, held]) {
      expect(m.loss).toBeGreaterThan(0);
      expect(m.accuracy! * m.counted).toBe(Math.round(m.accuracy! * m.counted));
    }
    // the accuracy by hand, example by example: the argmax of the answer's logits
    let right = 0;
    for (let i = 0; i < t.data.evalBatches('heldOut'); i++) {
      const { inputs, targets } = t.data.evalBatch('heldOut', i);
      t.model.forward(inputs, targets, null);
      const logits = (t.model as GPT).lastLogits;
      const V = t.model.cfg.vocabSize;
      targets.forEach((c, n) => {
        if (c === I) return;
        const row = Array.from(logits.subarray(n * V, n * V + V));
        if (row.indexOf(Math.max(...row)) === c) right++;
      });
    }
    expect(held.accuracy).toBe(right / 25);
    // evaluation is a pure read: again, the same bits
    expect(evaluate(t.data, t.model as GPT, 'heldOut')).toEqual(held);
  });

  it('a language-modelling task has no accuracy', () => {
    const t = new Trainer(validateConfig(mergeConfig(DEFAULT_CONFIG, { model: TINY, data: { corpus: 'random', randomTokens: 300, trainFraction: 0.5 } })));
    const m = evaluate(t.data, t.model as GPT, 'heldOut');
    expect(m.accuracy).toBeNull();
    expect(m.counted).toBe(m.examples * 16);
    expect(Math.abs(m.loss - Math.log(64))).toBeLessThan(0.05);
  });
});
