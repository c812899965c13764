import { ConfigError, UsageError } from '../errors.ts';
import { IGNORED_TARGET } from '../kernels/types.ts';
import type { DataConfig, TaskFormat, TaskKind, TaskModel } from './task.ts';

type ModularOp = DataConfig['op'];

/** Positions an example fills: a, ∘, b, = (the answer is the target at the last). */
const EXAMPLE_LENGTH = 4;

/** Tokens: the numbers 0…p−1 (token id = number), then the operator, `=` and the padding. */
const vocabularyOf = (p: number, op: ModularOp): string[] => [...Array.from({ length: p }, (_, n) => String(n)), op, '=', '<pad>'];

function isPrime(p: number): boolean {
  for (let d = 2; d * d <= p; d++) if (p % d === 0) return false;
  return p >= 2;
}

/** b⁻¹ mod p (p prime, 0 < b < p), by Fermat: b^(p−2), in integers. */
function inverse(b: number, p: number): number {
  let r = 1;
  let x = b;
  for (let e = p - 2; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) r = (r * x) % p;
    x = (x * x) % p;
  }
  return r;
}

function answer(a: number, b: number, p: number, op: ModularOp): number {
  if (op === '+') return (a + b) % p;
  if (op === '-') return (a - b + p) % p;
  if (op === '*') return (a * b) % p;
  return (a * inverse(b, p)) % p;
}

function checkModular(d: DataConfig, m: TaskModel): void {
  const V = d.p + 3;
  if (m.contextLength < EXAMPLE_LENGTH) throw new ConfigError('model.contextLength', `the modular task's examples fill ${EXAMPLE_LENGTH} positions (a ${d.op} b =, then the answer): must be at least ${EXAMPLE_LENGTH}, got ${m.contextLength}`);
  if (m.vocabSize !== 0 && m.vocabSize < V) throw new ConfigError('model.vocabSize', `the modular task mod ${d.p} has ${V} tokens (0…${d.p - 1}, ${d.op}, =, <pad>): must be 0 (the task's) or at least ${V}, got ${m.vocabSize}`);
  if (d.op === '/' && !isPrime(d.p)) throw new ConfigError('data.p', `division mod p needs a prime p (every b ≠ 0 has an inverse), got ${d.p}`);
}

/** How people write the operators beside the config's ASCII: the same operator. */
const OPERATOR_ALIASES: Record<string, string> = { '×': '*', '÷': '/' };

/**
 * The task's prompts, `a ∘ b =` (spaces or none: "37 + 58 =", "37+58="), read strictly — a
 * number outside 0…p−1, b = 0 for division, another operator than the run's, or anything else
 * is one line naming it and the format — and its rule: the answer after `=`.
 */
function modularFormat(d: DataConfig, m: TaskModel): TaskFormat {
  const { p, op } = d;
  const [opToken, eqToken] = [p, p + 1];
  const bFrom = op === '/' ? 1 : 0;
  const vocabulary = vocabularyOf(p, op);
  const shape = op === '/' ? `a / b = with a in 0…${p - 1}, b in 1…${p - 1}` : `a ${op} b = with a, b in 0…${p - 1}`;
  const isNumber = (id: number) => id >= 0 && id < p;
  return {
    task: modular.describe(d),
    rule: `the answer of a ${op} b mod ${p}`,
    tokens: 1,
    read(text) {
      const bad = (what: string) => new UsageError(`--prompt ${JSON.stringify(text)}: ${what} (a prompt of this run is ${shape})`);
      const pieces = text.match(/\d+|\S/g) ?? [];
      const [a, o, b, eq] = pieces.length === 4 ? pieces : ['', '', '', ''];
      if (!/^\d+$/.test(a) || /^\d+$/.test(o) || !/^\d+$/.test(b) || eq !== '=') throw bad('not a number, an operator, a number and =');
      if ((OPERATOR_ALIASES[o] ?? o) !== op) throw bad(`the operator is ${o}, and this run's is ${op}`);
      for (const n of [a, b]) if (Number(n) >= p) throw bad(`${n} is not a number mod ${p}`);
      if (Number(b) < bFrom) throw bad(`b is 0, which has no inverse mod ${p}`);
      return [Number(a), opToken, Number(b), eqToken];
    },
    name: (id) => vocabulary[id] ?? `<${id}>`,
    next(context) {
      const [a, o, b, eq] = context.slice(-EXAMPLE_LENGTH);
      const posed = context.length >= EXAMPLE_LENGTH && isNumber(a) && o === opToken && isNumber(b) && b >= bFrom && eq === eqToken;
      return posed ? answer(a, b, p, op) : null;
    },
  };
}

/**
 * a ∘ b mod p (`data.op`, + by default; `data.p`), every pair once, as the grokking experiments
 * pose it: the sequence `a ∘ b =` and then the answer, whose target is the only one counted —
 * the model is never asked to predict a or b. Example i is the pair a = ⌊i / n⌋, b = i mod n
 * (n = p; for division b runs over 1…p−1). The train/held-out split is data.trainFraction's.
 */
export const modular: TaskKind = {
  kind: 'modular',
  describe: (d) => `modular task a ${d.op} b mod ${d.p}`,
  words: () => false,
  check: checkModular,
  format: modularFormat,
  build(d, m) {
    checkModular(d, m);
    const { p, op } = d;
    const [opToken, eqToken, padToken] = [p, p + 1, p + 2];
    const bFrom = op === '/' ? 1 : 0;
    const n = p - bFrom;
    return {
      vocabSize: m.vocabSize === 0 ? p + 3 : m.vocabSize,
      vocabulary: vocabularyOf(p, op),
      tokenizer: null,
      examples: p * n,
      oneAnswer: true,
      write(i, inputs, targets) {
        const a = Math.floor(i / n);
        const b = bFrom + (i % n);
        inputs.fill(padToken);
        targets.fill(IGNORED_TARGET);
        inputs.set([a, opToken, b, eqToken]);
        targets[EXAMPLE_LENGTH - 1] = answer(a, b, p, op);
      },
    };
  },
};
