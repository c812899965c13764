import { IGNORED_TARGET, type Dtype, type FloatArray, type Kernels } from '../kernels/types.ts';
import type { ModelConfig } from './params.ts';
import { paramTableOf, type ParamInfo, type ParamTable } from '../layout/table.ts';
import type { Architecture, DropoutMasks, IncrementalDecoder, Model } from './architecture.ts';

/** A norm's per-row statistics from its forward pass (RMSNorm leaves `mean` unused). */
export interface NormStats { mean: Float64Array; rstd: Float64Array }

/**
 * Where a norm finds its tensors, as buffer and offset: a weight in the parameters (its
 * gradient in the gradients); a bias there too, or zeros when the model has none (model.bias
 * false), its gradient then going to a sink nobody reads.
 */
export interface NormTensors {
  readonly kernels: Kernels;
  param(name: string): [FloatArray, number];
  grad(name: string): [FloatArray, number];
  bias(name: string): [FloatArray, number];
  biasGrad(name: string): [FloatArray, number];
}

/**
 * The normalization a GPT variant applies at ln1, ln2 and ln_f (`pre`): its tensors in the
 * parameter table, its forward, and its backward (which writes its gradients, never adds).
 */
export interface GptNorm {
  tensors(pre: string, d: number, bias: boolean): [string, number[]][];
  forward(t: NormTensors, pre: string, out: FloatArray, stats: NormStats, inp: FloatArray, N: number, C: number): void;
  backward(t: NormTensors, pre: string, dinp: FloatArray, dout: FloatArray, inp: FloatArray, stats: NormStats, N: number, C: number): void;
}

/** torch.nn.LayerNorm(C, eps=1e-5), with bias=False when model.bias is false. */
export const layerNorm: GptNorm = {
  tensors: (pre, d, bias) => (bias ? [[`${pre}.weight`, [d]], [`${pre}.bias`, [d]]] : [[`${pre}.weight`, [d]]]),
  forward(t, pre, out, stats, inp, N, C) {
    const [w, wOff] = t.param(`${pre}.weight`);
    const [b, bOff] = t.bias(`${pre}.bias`);
    t.kernels.layernormForward(out, stats.mean, stats.rstd, inp, w, wOff, b, bOff, N, C);
  },
  backward(t, pre, dinp, dout, inp, stats, N, C) {
    const [w, wOff] = t.param(`${pre}.weight`);
    const [dw, dwOff] = t.grad(`${pre}.weight`);
    const [db, dbOff] = t.biasGrad(`${pre}.bias`);
    t.kernels.layernormBackward(dinp, dw, db, dwOff, dbOff, dout, inp, w, stats.mean, stats.rstd, N, C);
  },
};

/**
 * The rows that carry a loss, when some do not (a task's loss mask, as an answer-only task's),
 * and the buffers of the part of the pass that runs on them alone, packed in row order.
 */
interface LossRows {
  rows: Int32Array; n: number;
  // attention's output and the residual stream entering the last block, a dropout mask there
  attY: FloatArray; x: FloatArray; mask: Uint8Array;
  targets: Int32Array; logits: FloatArray; losses: Float64Array;
  // attention's output gradient and the residual gradient, spread back over every row (+0 elsewhere)
  dAttY: FloatArray; dMid: FloatArray;
}

interface BlockActs {
  ln1: FloatArray; ln1Stats: NormStats;
  qkv: FloatArray; // (B,T,3C)
  att: Float64Array; // (B,NH,T,T)
  attY: FloatArray; // (B,T,C)
  attProj: FloatArray; attDrop: FloatArray;
  xMid: FloatArray;
  ln2: FloatArray; ln2Stats: NormStats;
  fc: FloatArray; // (B,T,F)
  act: FloatArray;
  mlpProj: FloatArray; mlpDrop: FloatArray;
}

/**
 * The reference GPT (DESIGN.md): pre-norm decoder, fused qkv, GELU MLP, and the toggles
 * (model.*) residual, layerNorm, dropout, bias, mlp, posEmb and tieEmbeddings, each as its
 * PyTorch equivalent (nanoGPT's bias=False, weight tying). Parameters and gradients are single
 * flat buffers laid out by the parameter table, which holds only the tensors that are on. Four
 * verbs, as in llm.c: forward, backward (which zeroes nothing: every gradient is written, not
 * accumulated), and the optimizer's update outside. A variant brings its own norm (GptNorm).
 */
export class GPT implements Model, NormTensors {
  readonly cfg: ModelConfig;
  readonly table: ParamTable;
  readonly dtype: Dtype;
  readonly kernels: Kernels;
  readonly params: FloatArray;
  readonly grads: FloatArray;
  readonly B: number;
  readonly T: number;
  private readonly norm: GptNorm;
  private readonly off: Record<string, number>;

  private readonly inputs: Int32Array;
  private readonly targets: Int32Array;
  private masks: DropoutMasks | null = null;
  private readonly emb: FloatArray;
  private readonly embDrop: FloatArray;
  private readonly blocks: BlockActs[];
  /** The residual stream: xs[0] = embeddings after dropout, xs[l+1] = output of block l. */
  private readonly xs: FloatArray[];
  private readonly xFinal: FloatArray;
  private readonly lnf: FloatArray; private readonly lnfStats: NormStats;
  /** the head's output of the last forward pass, (B,T,V) */
  readonly logits: FloatArray;
  private readonly probs: Float64Array;
  readonly losses: Float64Array;
  // gradient scratch
  private readonly dX: FloatArray; private readonly dMid: FloatArray; private readonly dTmp: FloatArray; private readonly dTmp2: FloatArray;
  private readonly dWide: FloatArray; private readonly dWide2: FloatArray; private readonly dLogits: FloatArray;
  /** what stands in for an absent bias or positional embedding (x + 0 = x in every bit: a sum starting at +0 is never −0) */
  private readonly zeros: FloatArray;
  /** where the gradients of absent tensors go */
  private readonly sink: FloatArray;
  /** tied embeddings: the encoder's part of tok_emb's gradient, added to the head's */
  private readonly dTokEmb: FloatArray | null;
  /** false: every row runs the whole pass, loss or not (what the packed pass is tested against) */
  packLossRows = true;
  /** the packed rows' buffers, made at the first forward pass some rows of which carry no loss */
  private packed: LossRows | null = null;
  /** whether the last forward pass ran its tail on the loss rows only */
  private lastPassPacked = false;

  constructor(cfg: ModelConfig, kernels: Kernels, dtype: Dtype, B: number, T: number, norm: GptNorm = layerNorm) {
    if (cfg.dModel % cfg.nHeads !== 0) throw new RangeError(`dModel ${cfg.dModel} is not divisible by nHeads ${cfg.nHeads}`);
    if (T > cfg.contextLength) throw new RangeError(`sequence length ${T} exceeds contextLength ${cfg.contextLength}`);
    this.cfg = cfg;
    this.kernels = kernels;
    this.dtype = dtype;
    this.B = B;
    this.T = T;
    this.norm = norm;
    this.table = gptParamTable(cfg, norm);
    this.off = Object.fromEntries(this.table.tensors.map((t) => [t.name, t.offset]));
    // every tensor the kernels touch is allocated by the kernel set: a WebAssembly set places
    // them in its own memory and works on them in place
    this.params = kernels.alloc(dtype, this.table.total);
    this.grads = kernels.alloc(dtype, this.table.total);
    const N = B * T;
    const C = cfg.dModel;
    const F = cfg.dFF;
    const V = cfg.vocabSize;
    const f = (n: number) => kernels.alloc(dtype, n);
    const f64 = (n: number) => kernels.alloc('float64', n) as Float64Array;
    const stats = (): NormStats => ({ mean: f64(N), rstd: f64(N) });
    this.inputs = new Int32Array(N);
    this.targets = new Int32Array(N);
    this.emb = f(N * C);
    this.embDrop = f(N * C);
    this.blocks = [];
    for (let l = 0; l < cfg.nLayers; l++) {
      this.blocks.push({
        ln1: f(N * C), ln1Stats: stats(),
        qkv: f(N * 3 * C), att: f64(B * cfg.nHeads * T * T), attY: f(N * C),
        attProj: f(N * C), attDrop: f(N * C), xMid: f(N * C),
        ln2: f(N * C), ln2Stats: stats(),
        fc: f(N * F), act: f(N * F), mlpProj: f(N * C), mlpDrop: f(N * C),
      });
    }
    this.xs = [this.embDrop];
    for (let l = 0; l < cfg.nLayers; l++) this.xs.push(f(N * C));
    this.xFinal = this.xs[cfg.nLayers];
    this.lnf = f(N * C); this.lnfStats = stats();
    this.logits = f(N * V);
    this.probs = f64(N * V);
    this.losses = f64(N);
    this.dX = f(N * C); this.dMid = f(N * C); this.dTmp = f(N * C); this.dTmp2 = f(N * C);
    const wide = N * Math.max(3 * C, F);
    this.dWide = f(wide); this.dWide2 = f(wide);
    this.dLogits = f(N * V);
    const absent = cfg.bias && cfg.posEmb ? 0 : Math.max(3 * C, F, V, T * C);
    this.zeros = f(absent);
    this.sink = f(absent);
    this.dTokEmb = cfg.tieEmbeddings ? f(V * C) : null;
  }

  private o(name: string): number {
    const v = this.off[name];
    if (v === undefined) throw new Error(`no parameter ${name}`);
    return v;
  }

  param(name: string): [FloatArray, number] { return [this.params, this.o(name)]; }
  grad(name: string): [FloatArray, number] { return [this.grads, this.o(name)]; }
  bias(name: string): [FloatArray, number] { return this.cfg.bias ? this.param(name) : [this.zeros, 0]; }
  biasGrad(name: string): [FloatArray, number] { return this.cfg.bias ? this.grad(name) : [this.sink, 0]; }

  /** out = inp · W(name.weight)ᵀ + b(name.bias) */
  private linear(name: string, out: FloatArray, inp: FloatArray, N: number, C: number, OC: number, wOff = this.o(`${name}.weight`)): void {
    const [b, bOff] = this.bias(`${name}.bias`);
    this.kernels.matmulForward(out, inp, this.params, wOff, b, bOff, N, C, OC);
  }

  /** dinp, and d(name.weight) and d(name.bias) written; `wOff`: where the weight (and its gradient) is, unless at name.weight */
  private linearBack(name: string, dinp: FloatArray, dout: FloatArray, inp: FloatArray, N: number, C: number, OC: number, wOff = this.o(`${name}.weight`)): void {
    const [db, dbOff] = this.biasGrad(`${name}.bias`);
    this.kernels.matmulBackward(dinp, this.grads, wOff, db, dbOff, dout, inp, this.params, N, C, OC);
  }

  /** where the head's weight is: its own, or the token embeddings' when tied (as nanoGPT's wte and lm_head) */
  private get headWeight(): number {
    return this.o(this.cfg.tieEmbeddings ? 'tok_emb.weight' : 'head.weight');
  }

  /** The keep-mask of a site, its packed rows' when `rows` is given; null without dropout. */
  private maskOf(site: string, rows: LossRows | null): Uint8Array | null {
    const keep = this.masks?.get(site);
    if (this.cfg.dropout === 0 || !keep) {
      if (this.cfg.dropout !== 0 && this.masks) throw new Error(`dropout mask for site ${site} missing`);
      return null;
    }
    return rows ? gatherRows(rows.mask, keep, rows.rows, rows.n, this.cfg.dModel) : keep;
  }

  /** `n` elements; `rows`: they are the packed loss rows (the site's mask read at their rows) */
  private dropout(site: string, out: FloatArray, inp: FloatArray, n: number, rows: LossRows | null = null): void {
    const keep = this.maskOf(site, rows);
    if (!keep) out.set(inp.subarray(0, n));
    else this.kernels.dropoutForward(out, inp, keep, this.cfg.dropout, n);
  }

  private dropoutBack(site: string, dinp: FloatArray, dout: FloatArray, n: number, rows: LossRows | null = null): void {
    const keep = this.maskOf(site, rows);
    if (!keep) dinp.set(dout.subarray(0, n));
    else this.kernels.dropoutBackward(dinp, dout, keep, this.cfg.dropout, n);
  }

  /**
   * The rows of `targets` that carry a loss, packed, when some rows carry none and one does;
   * null when all do (or none: the mean over no rows is NaN either way, as the kernel's).
   */
  private lossRowsOf(targets: Int32Array): LossRows | null {
    const N = targets.length;
    let n = 0;
    for (let i = 0; i < N; i++) if (targets[i] !== IGNORED_TARGET) n++;
    if (n === N || n === 0) return null;
    if (!this.packed) {
      const { dModel: C, vocabSize: V } = this.cfg;
      const f = (k: number) => this.kernels.alloc(this.dtype, k);
      this.packed = {
        rows: new Int32Array(N), n: 0, attY: f(N * C), x: f(N * C), mask: new Uint8Array(N * C),
        targets: new Int32Array(N), logits: f(N * V), losses: this.kernels.alloc('float64', N) as Float64Array,
        dAttY: f(N * C), dMid: f(N * C),
      };
    }
    const r = this.packed;
    r.n = n;
    for (let i = 0, j = 0; i < N; i++) {
      if (targets[i] === IGNORED_TARGET) continue;
      r.rows[j] = i;
      r.targets[j++] = targets[i];
    }
    return r;
  }

  /** The logits of the last forward pass, (B·T, V) row-major: what a task's metrics read (accuracy: the argmax at the answer). */
  get lastLogits(): FloatArray {
    return this.logits;
  }

  /** Runs the model on (B,T) inputs; returns the mean cross-entropy over the counted targets. masks null = eval (no dropout). */
  forward(inputs: Int32Array, targets: Int32Array, masks: DropoutMasks | null): number {
    const { B, T, kernels: k, params: P, cfg } = this;
    const { dModel: C, nHeads: NH, dFF: F, vocabSize: V, nLayers: L } = cfg;
    const N = B * T;
    if (inputs.length !== N || targets.length !== N) throw new RangeError(`expected ${N} inputs and targets`);
    for (let i = 0; i < N; i++) {
      // a target IGNORED_TARGET carries no loss (the task's loss mask); the kernel counts the others
      if (!(inputs[i] >= 0 && inputs[i] < V && ((targets[i] >= 0 && targets[i] < V) || targets[i] === IGNORED_TARGET))) throw new RangeError(`token id out of range [0, ${V}) at ${i}`);
    }
    this.inputs.set(inputs);
    this.targets.set(targets);
    this.masks = masks;
    // Past its attention each row of the last block is its own: its norm, projections, MLP,
    // the final norm and the head compute a row from that row alone, so on the rows that carry
    // a loss they run on those rows only (packed; an answer-only task's is one row in T). Their
    // bits are the full pass's; the other rows' gradients are exact zeros, which add nothing to
    // a weight's gradient (every sum starts at +0, and +0 + ±0 = +0), and they enter attention's
    // backward as the +0 that a matmul writes for a zero gradient row. (Where the two could
    // part: a row without a loss whose activation overflows puts NaN in the full pass's weight
    // gradients through 0·∞; here that row is not computed.)
    const rows = L > 0 && this.packLossRows ? this.lossRowsOf(this.targets) : null;
    this.lastPassPacked = rows !== null;
    const n = rows ? rows.n : N;
    const wpe = cfg.posEmb ? P.subarray(this.o('pos_emb.weight')) : this.zeros;
    k.encoderForward(this.emb, this.inputs, P.subarray(this.o('tok_emb.weight')), wpe, B, T, C);
    this.dropout('emb', this.embDrop, this.emb, N * C);
    for (let l = 0; l < L; l++) {
      const a = this.blocks[l];
      const p = `blocks.${l}`;
      const x = this.xs[l];
      let h = x;
      if (cfg.layerNorm) {
        this.norm.forward(this, `${p}.ln1`, a.ln1, a.ln1Stats, x, N, C);
        h = a.ln1;
      }
      // every row's key and value: the loss rows' queries read them
      this.linear(`${p}.attn.qkv`, a.qkv, h, N, C, 3 * C);
      k.attentionForward(a.attY, a.att, a.qkv, B, T, C, NH);
      const r = l === L - 1 ? rows : null;
      const m = r ? n : N;
      const attY = r ? gatherRows(r.attY, a.attY, r.rows, n, C) : a.attY;
      const xIn = r ? gatherRows(r.x, x, r.rows, n, C) : x;
      this.linear(`${p}.attn.proj`, a.attProj, attY, m, C, C);
      this.dropout(`${p}.attn`, a.attDrop, a.attProj, m * C, r);
      const out = this.xs[l + 1];
      // without an MLP (attention only) the block ends at x_mid
      const mid = cfg.mlp ? a.xMid : out;
      if (cfg.residual) k.add(mid, xIn, a.attDrop, m * C);
      else mid.set(a.attDrop.subarray(0, m * C));
      if (!cfg.mlp) continue;
      h = a.xMid;
      if (cfg.layerNorm) {
        this.norm.forward(this, `${p}.ln2`, a.ln2, a.ln2Stats, a.xMid, m, C);
        h = a.ln2;
      }
      this.linear(`${p}.mlp.fc`, a.fc, h, m, C, F);
      k.activationForward(cfg.activation, a.act, a.fc, m * F);
      this.linear(`${p}.mlp.proj`, a.mlpProj, a.act, m, F, C);
      this.dropout(`${p}.mlp`, a.mlpDrop, a.mlpProj, m * C, r);
      if (cfg.residual) k.add(out, a.xMid, a.mlpDrop, m * C);
      else out.set(a.mlpDrop.subarray(0, m * C));
    }
    let h = this.xFinal;
    if (cfg.layerNorm) {
      this.norm.forward(this, 'ln_f', this.lnf, this.lnfStats, this.xFinal, n, C);
      h = this.lnf;
    }
    if (!rows) {
      this.linear('head', this.logits, h, N, C, V, this.headWeight);
      return k.crossEntropyForward(this.losses, this.probs, this.logits, this.targets, N, V);
    }
    this.linear('head', rows.logits, h, n, C, V, this.headWeight);
    const loss = k.crossEntropyForward(rows.losses, this.probs, rows.logits, rows.targets, n, V);
    // the rows without a loss: logits and loss 0 (not computed; a task's metrics read the answer rows)
    spreadRows(this.logits, rows.logits, rows.rows, n, V, N);
    spreadRows(this.losses, rows.losses, rows.rows, n, 1, N);
    return loss;
  }

  /**
   * Decoding with a KV cache: each layer's q, k, v rows of the positions so far, (maxLength, 3C),
   * and one position's row computed per token — forward's steps on one row (N = 1): the
   * embeddings, norms, matmuls, activation and adds compute each output from its own row's
   * inputs, so a row alone is the full pass's row; attention runs the new query over keys 0…t of
   * the cache (attentionForwardLast, the full pass's code for that query). Dropout off, as
   * forward's eval pass (which copies).
   */
  decoder(maxLength: number): IncrementalDecoder {
    const { cfg, kernels: k } = this;
    const { dModel: C, nHeads: NH, dFF: F, vocabSize: V, nLayers: L } = cfg;
    if (!(Number.isInteger(maxLength) && maxLength >= 1 && maxLength <= cfg.contextLength)) throw new RangeError(`a KV cache of ${maxLength} positions: the model's context holds 1…${cfg.contextLength}`);
    const f = (n: number) => k.alloc(this.dtype, n);
    const f64 = (n: number) => k.alloc('float64', n) as Float64Array;
    const qkv = Array.from({ length: L }, () => f(maxLength * 3 * C));
    const att = f64(NH * maxLength);
    const stats: NormStats = { mean: f64(1), rstd: f64(1) };
    // one row each: the residual stream (in and out of a block), x_mid, a norm's output,
    // attention's output, a projection's, the MLP's hidden rows, the logits
    const x = f(C), mid = f(C), normed = f(C), attY = f(C), proj = f(C), fc = f(F), act = f(F), logits = f(V);
    const token1 = new Int32Array(1);
    let t = 0;
    const append = (token: number): FloatArray => {
      if (t >= maxLength) throw new RangeError(`the KV cache holds ${maxLength} positions, all taken: reset it`);
      if (!(Number.isInteger(token) && token >= 0 && token < V)) throw new RangeError(`token id ${token} out of range [0, ${V})`);
      const P = this.params;
      token1[0] = token;
      const wpe = cfg.posEmb ? P.subarray(this.o('pos_emb.weight') + t * C) : this.zeros;
      k.encoderForward(x, token1, P.subarray(this.o('tok_emb.weight')), wpe, 1, 1, C);
      for (let l = 0; l < L; l++) {
        const p = `blocks.${l}`;
        let h = x;
        if (cfg.layerNorm) {
          this.norm.forward(this, `${p}.ln1`, normed, stats, x, 1, C);
          h = normed;
        }
        this.linear(`${p}.attn.qkv`, qkv[l].subarray(t * 3 * C, (t + 1) * 3 * C), h, 1, C, 3 * C);
        k.attentionForwardLast(attY, att, qkv[l], t + 1, C, NH);
        this.linear(`${p}.attn.proj`, proj, attY, 1, C, C);
        if (cfg.residual) k.add(mid, x, proj, C);
        else mid.set(proj);
        if (!cfg.mlp) {
          x.set(mid); // the block ends at x_mid
          continue;
        }
        h = mid;
        if (cfg.layerNorm) {
          this.norm.forward(this, `${p}.ln2`, normed, stats, mid, 1, C);
          h = normed;
        }
        this.linear(`${p}.mlp.fc`, fc, h, 1, C, F);
        k.activationForward(cfg.activation, act, fc, F);
        this.linear(`${p}.mlp.proj`, proj, act, 1, F, C);
        if (cfg.residual) k.add(x, mid, proj, C);
        else x.set(proj);
      }
      let h = x;
      if (cfg.layerNorm) {
        this.norm.forward(this, 'ln_f', normed, stats, x, 1, C);
        h = normed;
      }
      this.linear('head', logits, h, 1, C, V, this.headWeight);
      t++;
      return logits;
    };
    return {
      maxLength,
      get length() { return t; },
      append,
      reset: () => { t = 0; },
    };
  }

  /** Writes d(mean loss)/d(params) into `grads` for the last forward. */
  backward(): void {
    const { B, T, kernels: k, grads: G, cfg } = this;
    const { dModel: C, nHeads: NH, dFF: F, vocabSize: V, nLayers: L } = cfg;
    const N = B * T;
    // the last forward's loss rows, packed (forward: the last block's tail ran on them alone)
    const rows = this.lastPassPacked ? this.packed! : null;
    const n = rows ? rows.n : N;
    k.crossEntropyBackward(this.dLogits, this.probs, rows ? rows.targets : this.targets, n, V);
    const hF = cfg.layerNorm ? this.lnf : this.xFinal;
    const dX = this.dX;
    const dMid = this.dMid;
    this.linearBack('head', cfg.layerNorm ? this.dTmp : dX, this.dLogits, hF, n, C, V, this.headWeight);
    if (cfg.layerNorm) this.norm.backward(this, 'ln_f', dX, this.dTmp, this.xFinal, this.lnfStats, n, C);
    for (let l = L - 1; l >= 0; l--) {
      const a = this.blocks[l];
      const p = `blocks.${l}`;
      const r = l === L - 1 ? rows : null;
      const m = r ? n : N;
      if (cfg.mlp) {
        // x_out = x_mid + drop(mlp(ln2(x_mid)))   (or drop(mlp(…)) without residual)
        this.dropoutBack(`${p}.mlp`, this.dTmp, dX, m * C, r);
        this.linearBack(`${p}.mlp.proj`, this.dWide, this.dTmp, a.act, m, F, C);
        k.activationBackward(cfg.activation, this.dWide2, a.fc, this.dWide, m * F);
        const h2 = cfg.layerNorm ? a.ln2 : a.xMid;
        this.linearBack(`${p}.mlp.fc`, this.dTmp, this.dWide2, h2, m, C, F);
        if (cfg.layerNorm) {
          this.norm.backward(this, `${p}.ln2`, this.dTmp2, this.dTmp, a.xMid, a.ln2Stats, m, C);
          this.accumulate(dMid, dX, this.dTmp2, m * C);
        } else this.accumulate(dMid, dX, this.dTmp, m * C);
      }
      // x_mid = x_in + drop(attn(ln1(x_in)))   (x_mid is the block's output without an MLP)
      let dM = cfg.mlp ? dMid : dX;
      this.dropoutBack(`${p}.attn`, this.dTmp, dM, m * C, r);
      let dAttY = this.dTmp2;
      this.linearBack(`${p}.attn.proj`, dAttY, this.dTmp, r ? r.attY : a.attY, m, C, C);
      if (r) {
        // back over every row: attention's backward reads each row's output gradient
        dAttY = spreadRows(r.dAttY, dAttY, r.rows, n, C, N);
        dM = spreadRows(r.dMid, dM, r.rows, n, C, N);
      }
      k.attentionBackward(this.dWide, dAttY, a.qkv, a.att, B, T, C, NH);
      const h1 = cfg.layerNorm ? a.ln1 : this.xs[l];
      this.linearBack(`${p}.attn.qkv`, this.dTmp, this.dWide, h1, N, C, 3 * C);
      if (cfg.layerNorm) {
        this.norm.backward(this, `${p}.ln1`, this.dTmp2, this.dTmp, this.xs[l], a.ln1Stats, N, C);
        this.accumulate(dX, dM, this.dTmp2, N * C);
      } else this.accumulate(dX, dM, this.dTmp, N * C);
    }
    this.dropoutBack('emb', this.dTmp, dX, N * C);
    const tok = this.table.byName.get('tok_emb.weight')!;
    const dTok = G.subarray(tok.offset, tok.offset + tok.size);
    const pos = this.table.byName.get('pos_emb.weight');
    const dPos = pos ? G.subarray(pos.offset, pos.offset + pos.size) : this.sink.subarray(0, T * C);
    k.encoderBackward(this.dTokEmb ?? dTok, dPos, this.dTmp, this.inputs, B, T, C);
    // tied: tok_emb's gradient = the head's (written above) + the encoder's
    if (this.dTokEmb) k.add(dTok, dTok, this.dTokEmb, V * C);
  }

  /** Attention probabilities (T×T, row = query position) of one head, batch row b, from the last forward. */
  /** The attention read-out's shape: every layer's heads. */
  get attentionShape(): { layers: number; heads: number } {
    return { layers: this.cfg.nLayers, heads: this.cfg.nHeads };
  }

  attentionWeights(layer: number, head: number, b = 0): Float64Array {
    const { T } = this;
    const NH = this.cfg.nHeads;
    if (!(layer >= 0 && layer < this.cfg.nLayers)) throw new RangeError(`layer index ${layer} outside 0…${this.cfg.nLayers - 1}`);
    if (!(head >= 0 && head < NH)) throw new RangeError(`head ${head} outside 0…${NH - 1}`);
    const off = (b * NH + head) * T * T;
    return this.blocks[layer].att.slice(off, off + T * T);
  }

  /** The first activation of the last forward, in forward order, holding a NaN or Inf. */
  firstNonFiniteActivation(): string | null {
    const { B, T, cfg } = this;
    // the last block past attention and the final norm hold the loss rows only, when packed
    const rows = this.lastPassPacked ? this.packed!.n : B * T;
    const packed = (arr: FloatArray, l: number, w: number): ArrayLike<number> => (l === cfg.nLayers - 1 ? arr.subarray(0, rows * w) : arr);
    const C = cfg.dModel;
    const named: [string, ArrayLike<number>][] = [['emb', this.emb]];
    this.blocks.forEach((a, l) => {
      const p = `blocks.${l}`;
      if (cfg.layerNorm) named.push([`${p}.ln1`, a.ln1]);
      named.push([`${p}.attn.qkv`, a.qkv], [`${p}.attn`, a.att], [`${p}.attn.proj`, packed(a.attProj, l, C)]);
      if (!cfg.mlp) {
        named.push([`${p} (output)`, packed(this.xs[l + 1], l, C)]);
        return;
      }
      named.push([`${p} (after attn)`, packed(a.xMid, l, C)]);
      if (cfg.layerNorm) named.push([`${p}.ln2`, packed(a.ln2, l, C)]);
      named.push([`${p}.mlp.fc`, packed(a.fc, l, cfg.dFF)], [`${p}.mlp.act`, packed(a.act, l, cfg.dFF)], [`${p}.mlp.proj`, packed(a.mlpProj, l, C)], [`${p} (output)`, packed(this.xs[l + 1], l, C)]);
    });
    if (cfg.layerNorm) named.push(['ln_f', this.lnf.subarray(0, rows * C)]);
    named.push(['head (logits)', this.logits]);
    for (const [name, arr] of named) {
      for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) return name;
    }
    return null;
  }

  /** d(input of a sublayer) = d(through the residual) + d(through the branch), or the branch alone. */
  private accumulate(out: FloatArray, dResidual: FloatArray, dBranch: FloatArray, n: number): void {
    if (this.cfg.residual) this.kernels.add(out, dResidual, dBranch, n);
    else out.set(dBranch.subarray(0, n));
  }
}

/** dst's rows 0…n−1 (of `w` elements) = src's rows rows[0…n−1]; dst. */
function gatherRows<A extends FloatArray | Uint8Array>(dst: A, src: A, rows: Int32Array, n: number, w: number): A {
  for (let j = 0; j < n; j++) {
    const from = rows[j] * w;
    const to = j * w;
    for (let c = 0; c < w; c++) dst[to + c] = src[from + c];
  }
  return dst;
}

/** dst's rows 0…N−1 (of `w` elements): row rows[j] = src's row j, the others +0; dst. */
function spreadRows<A extends FloatArray>(dst: A, src: A, rows: Int32Array, n: number, w: number, N: number): A {
  dst.fill(0, 0, N * w);
  for (let j = 0; j < n; j++) {
    const from = j * w;
    const to = rows[j] * w;
    for (let c = 0; c < w; c++) dst[to + c] = src[from + c];
  }
  return dst;
}

/**
 * A GPT's parameter table in PyTorch names and layouts (DESIGN.md, "Reference model"): only the
 * tensors that are on — no biases without model.bias, no ln2 or mlp.* without model.mlp, no
 * pos_emb without model.posEmb, no head.weight when tied to tok_emb — in forward order.
 */
export function gptParamTable(m: ModelConfig, norm: GptNorm): ParamTable {
  const { nLayers: L, dModel: d, dFF: f, vocabSize: V, contextLength: T } = m;
  const entries: [string, number[], number][] = [['tok_emb.weight', [V, d], 0]];
  if (m.posEmb) entries.push(['pos_emb.weight', [T, d], 0]);
  const linear = (name: string, out: number, inp: number, layer: number) => {
    entries.push([`${name}.weight`, [out, inp], layer]);
    if (m.bias) entries.push([`${name}.bias`, [out], layer]);
  };
  const normOf = (pre: string, layer: number) => {
    if (m.layerNorm) for (const [name, shape] of norm.tensors(pre, d, m.bias)) entries.push([name, shape, layer]);
  };
  for (let i = 0; i < L; i++) {
    const p = `blocks.${i}`;
    normOf(`${p}.ln1`, i + 1);
    linear(`${p}.attn.qkv`, 3 * d, d, i + 1);
    linear(`${p}.attn.proj`, d, d, i + 1);
    if (!m.mlp) continue;
    normOf(`${p}.ln2`, i + 1);
    linear(`${p}.mlp.fc`, f, d, i + 1);
    linear(`${p}.mlp.proj`, d, f, i + 1);
  }
  normOf('ln_f', L + 1);
  if (!m.tieEmbeddings) entries.push(['head.weight', [V, d], L + 1]);
  if (m.bias) entries.push(['head.bias', [V], L + 1]);

  const tensors: ParamInfo[] = [];
  let offset = 0;
  for (const [name, shape, layer] of entries) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, offset, size, layer });
    offset += size;
  }
  return paramTableOf(tensors);
}

/** The reference GPT's parameter table. */
export function buildParamTable(m: ModelConfig): ParamTable {
  return gptParamTable(m, layerNorm);
}

/** Names of the dropout sites, in forward order (no MLP, no MLP site). */
function dropoutSites(m: ModelConfig): string[] {
  const sites = ['emb'];
  for (let i = 0; i < m.nLayers; i++) {
    sites.push(`blocks.${i}.attn`);
    if (m.mlp) sites.push(`blocks.${i}.mlp`);
  }
  return sites;
}

/**
 * A GPT variant as an architecture: its table, its dropout sites (one mask element per
 * activation of the residual stream), its model, with the norm it brings; `check` refuses
 * configs the variant has no meaning for (a ConfigError).
 */
export function gptArchitecture(name: string, norm: GptNorm, check?: (cfg: ModelConfig) => void): Architecture {
  return {
    name,
    table: (cfg) => gptParamTable(cfg, norm),
    dropoutSites,
    maskElements: (cfg, batchSize, contextLength) => batchSize * contextLength * cfg.dModel,
    create: (cfg, kernels, dtype, batchSize, contextLength) => new GPT(cfg, kernels, dtype, batchSize, contextLength, norm),
    ...(check ? { check } : {}),
  };
}

/** The reference GPT. */
export const gpt: Architecture = gptArchitecture('gpt', layerNorm);
