import { IGNORED_TARGET, type Kernels } from './types.ts';

/**
 * The one check of a kernel call's sizes and lengths, run at the entry of every kernel of every
 * set (reference.ts, and wasm.ts before it hands memory addresses to WebAssembly or its threads):
 * each size is a whole number, each array holds what the sizes say the kernel reads or writes,
 * each token index names a row, each target a class or IGNORED_TARGET (one counted at least). A bad call is a RangeError naming the kernel, the argument and
 * the sizes — the same error from every set — never a read past an array (numbers from a
 * neighbouring tensor in WebAssembly memory, NaN from a JavaScript typed array).
 *
 * The cost is a few comparisons per call (a pass over the indexes for the embedding and the
 * loss, which do more per index); messages are built only when a check fails.
 */
export type LengthChecks = { [K in Exclude<keyof Kernels, 'mode'>]: (...args: Parameters<Kernels[K]>) => K extends CrossEntropy ? number : void };
/** The loss kernels, whose check returns how many targets it counts (the mean's divisor). */
type CrossEntropy = 'crossEntropyForward' | 'crossEntropyBackward';

/** Sizes are passed to WebAssembly as i32: whole numbers in 0…2^31−1. */
function size(kernel: string, name: string, v: number): void {
  if (!((v | 0) === v && v >= 0)) throw new RangeError(`${kernel}: ${name} must be a whole number in 0…2147483647, got ${v}`);
}

function positive(kernel: string, name: string, v: number): void {
  if (!((v | 0) === v && v >= 1)) throw new RangeError(`${kernel}: ${name} must be a whole number in 1…2147483647, got ${v}`);
}

/**
 * Throws unless `a` holds `need` elements. `formula` says how the sizes give `need` (in the
 * kernel's names); v0…v3 are the values of its names in order of first appearance.
 */
function holds(kernel: string, arg: string, a: ArrayLike<number>, need: number, formula: string, v0?: number, v1?: number, v2?: number, v3?: number): void {
  if (a.length >= need) return;
  const names = [...new Set(formula.match(/[A-Za-z]+/g))];
  const values = [v0, v1, v2, v3];
  const sizes = names.length > 1 ? ` (${names.map((n, i) => `${n} = ${values[i]}`).join(', ')})` : '';
  throw new RangeError(`${kernel}: ${arg} has ${a.length} elements, needs ${formula} = ${need}${sizes}`);
}

/** Throws unless idx[0…n) are in 0…rows−1; `what` names the rows ("rows of wte"). */
function rowsOf(kernel: string, arg: string, idx: Int32Array, n: number, rows: number, what: string): void {
  for (let i = 0; i < n; i++) {
    const r = idx[i];
    if (!(r >= 0 && r < rows)) throw new RangeError(`${kernel}: ${arg}[${i}] = ${r} is not one of the ${rows} ${what}`);
  }
}

/**
 * Targets of a cross-entropy: each a class or IGNORED_TARGET, and one counted at least (a mean
 * over no target is 0/0). Returns how many are counted.
 */
function targetsOf(kernel: string, targets: Int32Array, n: number, classes: number): number {
  let counted = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (t === IGNORED_TARGET) continue;
    if (!(t >= 0 && t < classes)) throw new RangeError(`${kernel}: targets[${i}] = ${t} is not one of the ${classes} classes (V) nor ignored (${IGNORED_TARGET})`);
    counted++;
  }
  if (counted === 0 && n > 0) throw new RangeError(`${kernel}: every one of the ${n} targets is ignored (${IGNORED_TARGET}): a mean over no target is undefined`);
  return counted;
}

export const lengthChecks: LengthChecks = {
  alloc(_dtype, n) {
    size('alloc', 'n', n);
  },
  allocBytes(n) {
    size('allocBytes', 'n', n);
  },

  encoderForward(out, idx, wte, wpe, B, T, C) {
    const k = 'encoderForward';
    size(k, 'B', B);
    size(k, 'T', T);
    size(k, 'C', C);
    holds(k, 'out', out, B * T * C, 'B·T·C', B, T, C);
    holds(k, 'idx', idx, B * T, 'B·T', B, T);
    holds(k, 'wpe', wpe, T * C, 'T·C', T, C);
    // wte may run on past the vocabulary (a view to the end of the parameters): every row an index names must be in it
    if (C > 0) rowsOf(k, 'idx', idx, B * T, Math.floor(wte.length / C), 'rows of wte');
  },
  encoderBackward(dwte, dwpe, dout, idx, B, T, C) {
    const k = 'encoderBackward';
    size(k, 'B', B);
    size(k, 'T', T);
    positive(k, 'C', C);
    if (dwte.length % C !== 0) throw new RangeError(`${k}: dwte has ${dwte.length} elements, not a whole number of rows of C = ${C}`);
    holds(k, 'dwpe', dwpe, T * C, 'T·C', T, C);
    holds(k, 'dout', dout, B * T * C, 'B·T·C', B, T, C);
    holds(k, 'idx', idx, B * T, 'B·T', B, T);
    rowsOf(k, 'idx', idx, B * T, dwte.length / C, 'rows of dwte');
  },

  matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC) {
    const k = 'matmulForward';
    size(k, 'N', N);
    size(k, 'C', C);
    size(k, 'OC', OC);
    size(k, 'wOff', wOff);
    size(k, 'bOff', bOff);
    holds(k, 'out', out, N * OC, 'N·OC', N, OC);
    holds(k, 'inp', inp, N * C, 'N·C', N, C);
    holds(k, 'weight', weight, wOff + OC * C, 'wOff + OC·C', wOff, OC, C);
    holds(k, 'bias', bias, bOff + OC, 'bOff + OC', bOff, OC);
  },
  matmulBackward(dinp, dweight, wOff, dbias, bOff, dout, inp, weight, N, C, OC) {
    const k = 'matmulBackward';
    size(k, 'N', N);
    size(k, 'C', C);
    size(k, 'OC', OC);
    size(k, 'wOff', wOff);
    size(k, 'bOff', bOff);
    holds(k, 'dinp', dinp, N * C, 'N·C', N, C);
    holds(k, 'dweight', dweight, wOff + OC * C, 'wOff + OC·C', wOff, OC, C);
    holds(k, 'dbias', dbias, bOff + OC, 'bOff + OC', bOff, OC);
    holds(k, 'dout', dout, N * OC, 'N·OC', N, OC);
    holds(k, 'inp', inp, N * C, 'N·C', N, C);
    holds(k, 'weight', weight, wOff + OC * C, 'wOff + OC·C', wOff, OC, C);
  },

  layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C) {
    const k = 'layernormForward';
    size(k, 'N', N);
    size(k, 'C', C);
    size(k, 'wOff', wOff);
    size(k, 'bOff', bOff);
    holds(k, 'out', out, N * C, 'N·C', N, C);
    holds(k, 'mean', mean, N, 'N');
    holds(k, 'rstd', rstd, N, 'N');
    holds(k, 'inp', inp, N * C, 'N·C', N, C);
    holds(k, 'weight', weight, wOff + C, 'wOff + C', wOff, C);
    holds(k, 'bias', bias, bOff + C, 'bOff + C', bOff, C);
  },
  layernormBackward(dinp, dweight, dbias, wOff, bOff, dout, inp, weight, mean, rstd, N, C) {
    const k = 'layernormBackward';
    size(k, 'N', N);
    size(k, 'C', C);
    size(k, 'wOff', wOff);
    size(k, 'bOff', bOff);
    holds(k, 'dinp', dinp, N * C, 'N·C', N, C);
    holds(k, 'dweight', dweight, wOff + C, 'wOff + C', wOff, C);
    holds(k, 'dbias', dbias, bOff + C, 'bOff + C', bOff, C);
    holds(k, 'dout', dout, N * C, 'N·C', N, C);
    holds(k, 'inp', inp, N * C, 'N·C', N, C);
    holds(k, 'weight', weight, wOff + C, 'wOff + C', wOff, C);
    holds(k, 'mean', mean, N, 'N');
    holds(k, 'rstd', rstd, N, 'N');
  },

  rmsnormForward(out, rstd, inp, weight, wOff, N, C) {
    const k = 'rmsnormForward';
    size(k, 'N', N);
    size(k, 'C', C);
    size(k, 'wOff', wOff);
    holds(k, 'out', out, N * C, 'N·C', N, C);
    holds(k, 'rstd', rstd, N, 'N');
    holds(k, 'inp', inp, N * C, 'N·C', N, C);
    holds(k, 'weight', weight, wOff + C, 'wOff + C', wOff, C);
  },
  rmsnormBackward(dinp, dweight, wOff, dout, inp, weight, rstd, N, C) {
    const k = 'rmsnormBackward';
    size(k, 'N', N);
    size(k, 'C', C);
    size(k, 'wOff', wOff);
    holds(k, 'dinp', dinp, N * C, 'N·C', N, C);
    holds(k, 'dweight', dweight, wOff + C, 'wOff + C', wOff, C);
    holds(k, 'dout', dout, N * C, 'N·C', N, C);
    holds(k, 'inp', inp, N * C, 'N·C', N, C);
    holds(k, 'weight', weight, wOff + C, 'wOff + C', wOff, C);
    holds(k, 'rstd', rstd, N, 'N');
  },

  attentionForward(out, att, qkv, B, T, C, NH) {
    const k = 'attentionForward';
    heads(k, B, T, C, NH);
    holds(k, 'out', out, B * T * C, 'B·T·C', B, T, C);
    holds(k, 'att', att, B * NH * T * T, 'B·NH·T·T', B, NH, T);
    holds(k, 'qkv', qkv, B * T * 3 * C, 'B·T·3·C', B, T, C);
  },
  attentionForwardLast(out, att, qkv, T, C, NH) {
    const k = 'attentionForwardLast';
    heads(k, 1, T, C, NH);
    positive(k, 'T', T);
    holds(k, 'out', out, C, 'C');
    holds(k, 'att', att, NH * T, 'NH·T', NH, T);
    holds(k, 'qkv', qkv, T * 3 * C, 'T·3·C', T, C);
  },
  attentionBackward(dqkv, dout, qkv, att, B, T, C, NH) {
    const k = 'attentionBackward';
    heads(k, B, T, C, NH);
    holds(k, 'dqkv', dqkv, B * T * 3 * C, 'B·T·3·C', B, T, C);
    holds(k, 'dout', dout, B * T * C, 'B·T·C', B, T, C);
    holds(k, 'qkv', qkv, B * T * 3 * C, 'B·T·3·C', B, T, C);
    holds(k, 'att', att, B * NH * T * T, 'B·NH·T·T', B, NH, T);
  },

  activationForward(_kind, out, inp, n) {
    size('activationForward', 'n', n);
    holds('activationForward', 'out', out, n, 'n');
    holds('activationForward', 'inp', inp, n, 'n');
  },
  activationBackward(_kind, dinp, inp, dout, n) {
    size('activationBackward', 'n', n);
    holds('activationBackward', 'dinp', dinp, n, 'n');
    holds('activationBackward', 'inp', inp, n, 'n');
    holds('activationBackward', 'dout', dout, n, 'n');
  },

  dropoutForward(out, inp, keep, _p, n) {
    size('dropoutForward', 'n', n);
    holds('dropoutForward', 'out', out, n, 'n');
    holds('dropoutForward', 'inp', inp, n, 'n');
    holds('dropoutForward', 'keep', keep, n, 'n');
  },
  dropoutBackward(dinp, dout, keep, _p, n) {
    size('dropoutBackward', 'n', n);
    holds('dropoutBackward', 'dinp', dinp, n, 'n');
    holds('dropoutBackward', 'dout', dout, n, 'n');
    holds('dropoutBackward', 'keep', keep, n, 'n');
  },

  add(out, a, b, n) {
    size('add', 'n', n);
    holds('add', 'out', out, n, 'n');
    holds('add', 'a', a, n, 'n');
    holds('add', 'b', b, n, 'n');
  },

  crossEntropyForward(losses, probs, logits, targets, N, V) {
    const k = 'crossEntropyForward';
    size(k, 'N', N);
    size(k, 'V', V);
    holds(k, 'losses', losses, N, 'N');
    holds(k, 'probs', probs, N * V, 'N·V', N, V);
    holds(k, 'logits', logits, N * V, 'N·V', N, V);
    holds(k, 'targets', targets, N, 'N');
    return targetsOf(k, targets, N, V);
  },
  crossEntropyBackward(dlogits, probs, targets, N, V) {
    const k = 'crossEntropyBackward';
    size(k, 'N', N);
    size(k, 'V', V);
    holds(k, 'dlogits', dlogits, N * V, 'N·V', N, V);
    holds(k, 'probs', probs, N * V, 'N·V', N, V);
    holds(k, 'targets', targets, N, 'N');
    return targetsOf(k, targets, N, V);
  },

  findNonFinite(a, n) {
    size('findNonFinite', 'n', n);
    holds('findNonFinite', 'a', a, n, 'n');
  },

  adamUpdate(params, grads, m, v, n) {
    size('adamUpdate', 'n', n);
    holds('adamUpdate', 'params', params, n, 'n');
    holds('adamUpdate', 'grads', grads, n, 'n');
    holds('adamUpdate', 'm', m, n, 'n');
    holds('adamUpdate', 'v', v, n, 'n');
  },
};

/** Attention's sizes: NH heads of C/NH columns each. */
function heads(kernel: string, B: number, T: number, C: number, NH: number): void {
  size(kernel, 'B', B);
  size(kernel, 'T', T);
  size(kernel, 'C', C);
  positive(kernel, 'NH', NH);
  if (C % NH !== 0) throw new RangeError(`${kernel}: C = ${C} is not a whole number of heads (NH = ${NH})`);
}
