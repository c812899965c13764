/** Storage for tensors: float32 for training, float64 for gradient checks. Same code runs both. */
export type FloatArray = Float32Array | Float64Array;
export type Dtype = 'float32' | 'float64';

export function allocFloat(dtype: Dtype, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

export type Activation = 'gelu' | 'relu' | 'tanh';

/**
 * A target that carries no loss (PyTorch's `ignore_index`, and its default value): the mean
 * cross-entropy leaves it out and divides by the targets it counts, and its logits' gradient is
 * 0. A task's loss mask is its targets set to this (an answer-only task counts the answer).
 */
export const IGNORED_TARGET = -100;

/**
 * The numeric kernels the model is built from. A faster implementation (WASM SIMD, threads)
 * replaces this object as a whole and must reproduce the reference bits (DESIGN rule 4), or
 * declare a different numeric mode, which goes into the log header. Every kernel of every set
 * starts with the same check of its sizes and lengths (lengths.ts): a bad call is the same
 * RangeError everywhere, never a read past an array.
 */
export interface Kernels {
  readonly mode: string;
  /**
   * Storage for a tensor the kernels will read or write (the model's parameters, activations,
   * gradients), all +0 as a new typed array is: a model's stand-in zeros and an optimizer's
   * first moments count on it, whenever they are made.
   */
  alloc(dtype: Dtype, n: number): FloatArray;
  /** Storage for bytes the kernels will read (dropout keep-masks), all 0. */
  allocBytes(n: number): Uint8Array;
  encoderForward(out: FloatArray, idx: Int32Array, wte: FloatArray, wpe: FloatArray, B: number, T: number, C: number): void;
  encoderBackward(dwte: FloatArray, dwpe: FloatArray, dout: FloatArray, idx: Int32Array, B: number, T: number, C: number): void;
  matmulForward(out: FloatArray, inp: FloatArray, weight: FloatArray, wOff: number, bias: FloatArray, bOff: number, N: number, C: number, OC: number): void;
  matmulBackward(dinp: FloatArray, dweight: FloatArray, wOff: number, dbias: FloatArray, bOff: number, dout: FloatArray, inp: FloatArray, weight: FloatArray, N: number, C: number, OC: number): void;
  layernormForward(out: FloatArray, mean: Float64Array, rstd: Float64Array, inp: FloatArray, weight: FloatArray, wOff: number, bias: FloatArray, bOff: number, N: number, C: number): void;
  layernormBackward(dinp: FloatArray, dweight: FloatArray, dbias: FloatArray, wOff: number, bOff: number, dout: FloatArray, inp: FloatArray, weight: FloatArray, mean: Float64Array, rstd: Float64Array, N: number, C: number): void;
  /** RMSNorm (no bias): out = x·rstd·w, rstd = 1/sqrt(mean(x²) + 1e-5), as torch.nn.RMSNorm(eps=1e-5) */
  rmsnormForward(out: FloatArray, rstd: Float64Array, inp: FloatArray, weight: FloatArray, wOff: number, N: number, C: number): void;
  rmsnormBackward(dinp: FloatArray, dweight: FloatArray, wOff: number, dout: FloatArray, inp: FloatArray, weight: FloatArray, rstd: Float64Array, N: number, C: number): void;
  attentionForward(out: FloatArray, att: Float64Array, qkv: FloatArray, B: number, T: number, C: number, NH: number): void;
  attentionBackward(dqkv: FloatArray, dout: FloatArray, qkv: FloatArray, att: Float64Array, B: number, T: number, C: number, NH: number): void;
  /**
   * attentionForward's last position only, of one sequence (B = 1) whose rows 0…T−1 of qkv are
   * its queries, keys and values so far (decoding with a KV cache): out (C) and att (NH,T) are
   * bit for bit row T−1 of the full pass's out (T,C) and of each head's att (T,T).
   */
  attentionForwardLast(out: FloatArray, att: Float64Array, qkv: FloatArray, T: number, C: number, NH: number): void;
  activationForward(kind: Activation, out: FloatArray, inp: FloatArray, n: number): void;
  activationBackward(kind: Activation, dinp: FloatArray, inp: FloatArray, dout: FloatArray, n: number): void;
  dropoutForward(out: FloatArray, inp: FloatArray, keep: Uint8Array, p: number, n: number): void;
  dropoutBackward(dinp: FloatArray, dout: FloatArray, keep: Uint8Array, p: number, n: number): void;
  add(out: FloatArray, a: FloatArray, b: FloatArray, n: number): void;
  /** The mean over the counted targets (those not IGNORED_TARGET; at least one); an ignored row's loss is 0. */
  crossEntropyForward(losses: Float64Array, probs: Float64Array, logits: FloatArray, targets: Int32Array, N: number, V: number): number;
  /** d(mean loss)/d(logits): an ignored row's is 0. */
  crossEntropyBackward(dlogits: FloatArray, probs: Float64Array, targets: Int32Array, N: number, V: number): void;
  /** The index of a[0…n)'s first ±Inf or NaN, or −1 when every element is finite. */
  findNonFinite(a: FloatArray, n: number): number;
  /** Adam/AdamW on n elements, in place (see optim/adam.ts for the formulas). */
  adamUpdate(params: FloatArray, grads: FloatArray, m: FloatArray, v: FloatArray, n: number, k: AdamCoefficients): void;
}

/** An Adam step's coefficients, computed once per step in float64 (optim/adam.ts). */
export interface AdamCoefficients {
  beta1: number;
  beta2: number;
  /** 1 − β1 and 1 − β2, as the update uses them */
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  eps: number;
  /** lr / (1 − β1^t) */
  stepSize: number;
  /** sqrt(1 − β2^t) */
  bc2Sqrt: number;
  /** L2 weight decay added to the gradient (adam), 0 for adamw */
  l2: number;
  /** 1 − lr·wd, the decoupled decay (adamw) */
  decay: number;
  decoupled: boolean;
}
