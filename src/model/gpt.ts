import { IGNORED_TARGET, type Dtype, type FloatArray, type Kernels } from '../kernels/types.ts';
import type { ModelConfig } from './params.ts';
import { paramTableOf, type ParamInfo, type ParamTable } from '../layout/table.ts';
import type { Architecture, DropoutMasks, Model } from './architecture.ts';

interface BlockActs {
  ln1: FloatArray; ln1Mean: Float64Array; ln1Rstd: Float64Array;
  qkv: FloatArray; // (B,T,3C)
  att: Float64Array; // (B,NH,T,T)
  attY: FloatArray; // (B,T,C)
  attProj: FloatArray; attDrop: FloatArray;
  xMid: FloatArray;
  ln2: FloatArray; ln2Mean: Float64Array; ln2Rstd: Float64Array;
  fc: FloatArray; // (B,T,F)
  act: FloatArray;
  mlpProj: FloatArray; mlpDrop: FloatArray;
}

/**
 * The reference GPT (DESIGN.md): pre-LayerNorm decoder, fused qkv, GELU MLP, optional residual,
 * layer norm and dropout. Parameters and gradients are single flat buffers laid out by the
 * parameter table. Four verbs, as in llm.c: forward, backward (which zeroes nothing: every
 * gradient is written, not accumulated), and the optimizer's update outside.
 */
export class GPT implements Model {
  readonly cfg: ModelConfig;
  readonly table: ParamTable;
  readonly dtype: Dtype;
  readonly kernels: Kernels;
  readonly params: FloatArray;
  readonly grads: FloatArray;
  readonly B: number;
  readonly T: number;
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
  private readonly lnf: FloatArray; private readonly lnfMean: Float64Array; private readonly lnfRstd: Float64Array;
  private readonly logits: FloatArray;
  private readonly probs: Float64Array;
  readonly losses: Float64Array;
  // gradient scratch
  private readonly dX: FloatArray; private readonly dMid: FloatArray; private readonly dTmp: FloatArray; private readonly dTmp2: FloatArray;
  private readonly dWide: FloatArray; private readonly dWide2: FloatArray; private readonly dLogits: FloatArray;

  constructor(cfg: ModelConfig, kernels: Kernels, dtype: Dtype, B: number, T: number) {
    if (cfg.dModel % cfg.nHeads !== 0) throw new RangeError(`dModel ${cfg.dModel} is not divisible by nHeads ${cfg.nHeads}`);
    if (T > cfg.contextLength) throw new RangeError(`sequence length ${T} exceeds contextLength ${cfg.contextLength}`);
    this.cfg = cfg;
    this.kernels = kernels;
    this.dtype = dtype;
    this.B = B;
    this.T = T;
    this.table = buildParamTable(cfg);
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
    this.inputs = new Int32Array(N);
    this.targets = new Int32Array(N);
    this.emb = f(N * C);
    this.embDrop = f(N * C);
    this.blocks = [];
    for (let l = 0; l < cfg.nLayers; l++) {
      this.blocks.push({
        ln1: f(N * C), ln1Mean: f64(N), ln1Rstd: f64(N),
        qkv: f(N * 3 * C), att: f64(B * cfg.nHeads * T * T), attY: f(N * C),
        attProj: f(N * C), attDrop: f(N * C), xMid: f(N * C),
        ln2: f(N * C), ln2Mean: f64(N), ln2Rstd: f64(N),
        fc: f(N * F), act: f(N * F), mlpProj: f(N * C), mlpDrop: f(N * C),
      });
    }
    this.xs = [this.embDrop];
    for (let l = 0; l < cfg.nLayers; l++) this.xs.push(f(N * C));
    this.xFinal = this.xs[cfg.nLayers];
    this.lnf = f(N * C); this.lnfMean = f64(N); this.lnfRstd = f64(N);
    this.logits = f(N * V);
    this.probs = f64(N * V);
    this.losses = f64(N);
    this.dX = f(N * C); this.dMid = f(N * C); this.dTmp = f(N * C); this.dTmp2 = f(N * C);
    const wide = N * Math.max(3 * C, F);
    this.dWide = f(wide); this.dWide2 = f(wide);
    this.dLogits = f(N * V);
  }

  private o(name: string): number {
    const v = this.off[name];
    if (v === undefined) throw new Error(`no parameter ${name}`);
    return v;
  }

  private dropout(site: string, out: FloatArray, inp: FloatArray, n: number): void {
    const p = this.cfg.dropout;
    const keep = this.masks?.get(site);
    if (p === 0 || !keep) {
      if (p !== 0 && this.masks) throw new Error(`dropout mask for site ${site} missing`);
      out.set(inp.subarray(0, n));
      return;
    }
    this.kernels.dropoutForward(out, inp, keep, p, n);
  }

  private dropoutBack(site: string, dinp: FloatArray, dout: FloatArray, n: number): void {
    const keep = this.masks?.get(site);
    if (this.cfg.dropout === 0 || !keep) {
      dinp.set(dout.subarray(0, n));
      return;
    }
    this.kernels.dropoutBackward(dinp, dout, keep, this.cfg.dropout, n);
  }

  /** The logits of the last forward pass, (B·T, V) row-major: what a task's metrics read (accuracy: the argmax at the answer). */
  get lastLogits(): FloatArray {
    return this.logits;
  }

  /** Runs the model on (B,T) inputs; returns the mean cross-entropy over the counted targets. masks null = eval (no dropout). */
  forward(inputs: Int32Array, targets: Int32Array, masks: DropoutMasks | null): number {
    const { B, T, kernels: k, params: P } = this;
    const { dModel: C, nHeads: NH, dFF: F, vocabSize: V, nLayers: L } = this.cfg;
    const N = B * T;
    if (inputs.length !== N || targets.length !== N) throw new RangeError(`expected ${N} inputs and targets`);
    for (let i = 0; i < N; i++) {
      // a target IGNORED_TARGET carries no loss (the task's loss mask); the kernel counts the others
      if (!(inputs[i] >= 0 && inputs[i] < V && ((targets[i] >= 0 && targets[i] < V) || targets[i] === IGNORED_TARGET))) throw new RangeError(`token id out of range [0, ${V}) at ${i}`);
    }
    this.inputs.set(inputs);
    this.targets.set(targets);
    this.masks = masks;
    k.encoderForward(this.emb, this.inputs, P.subarray(this.o('tok_emb.weight')), P.subarray(this.o('pos_emb.weight')), B, T, C);
    this.dropout('emb', this.embDrop, this.emb, N * C);
    for (let l = 0; l < L; l++) {
      const a = this.blocks[l];
      const p = `blocks.${l}`;
      const x = this.xs[l];
      let h = x;
      if (this.cfg.layerNorm) {
        k.layernormForward(a.ln1, a.ln1Mean, a.ln1Rstd, x, P, this.o(`${p}.ln1.weight`), P, this.o(`${p}.ln1.bias`), N, C);
        h = a.ln1;
      }
      k.matmulForward(a.qkv, h, P, this.o(`${p}.attn.qkv.weight`), P, this.o(`${p}.attn.qkv.bias`), N, C, 3 * C);
      k.attentionForward(a.attY, a.att, a.qkv, B, T, C, NH);
      k.matmulForward(a.attProj, a.attY, P, this.o(`${p}.attn.proj.weight`), P, this.o(`${p}.attn.proj.bias`), N, C, C);
      this.dropout(`${p}.attn`, a.attDrop, a.attProj, N * C);
      if (this.cfg.residual) k.add(a.xMid, x, a.attDrop, N * C);
      else a.xMid.set(a.attDrop);
      h = a.xMid;
      if (this.cfg.layerNorm) {
        k.layernormForward(a.ln2, a.ln2Mean, a.ln2Rstd, a.xMid, P, this.o(`${p}.ln2.weight`), P, this.o(`${p}.ln2.bias`), N, C);
        h = a.ln2;
      }
      k.matmulForward(a.fc, h, P, this.o(`${p}.mlp.fc.weight`), P, this.o(`${p}.mlp.fc.bias`), N, C, F);
      k.activationForward(this.cfg.activation, a.act, a.fc, N * F);
      k.matmulForward(a.mlpProj, a.act, P, this.o(`${p}.mlp.proj.weight`), P, this.o(`${p}.mlp.proj.bias`), N, F, C);
      this.dropout(`${p}.mlp`, a.mlpDrop, a.mlpProj, N * C);
      const out = this.xs[l + 1];
      if (this.cfg.residual) k.add(out, a.xMid, a.mlpDrop, N * C);
      else out.set(a.mlpDrop);
    }
    let h = this.xFinal;
    if (this.cfg.layerNorm) {
      k.layernormForward(this.lnf, this.lnfMean, this.lnfRstd, this.xFinal, P, this.o('ln_f.weight'), P, this.o('ln_f.bias'), N, C);
      h = this.lnf;
    }
    k.matmulForward(this.logits, h, P, this.o('head.weight'), P, this.o('head.bias'), N, C, V);
    return k.crossEntropyForward(this.losses, this.probs, this.logits, this.targets, N, V);
  }

  /** Writes d(mean loss)/d(params) into `grads` for the last forward. */
  backward(): void {
    const { B, T, kernels: k, params: P, grads: G } = this;
    const { dModel: C, nHeads: NH, dFF: F, vocabSize: V, nLayers: L } = this.cfg;
    const N = B * T;
    k.crossEntropyBackward(this.dLogits, this.probs, this.targets, N, V);
    const hF = this.cfg.layerNorm ? this.lnf : this.xFinal;
    const dX = this.dX;
    const dMid = this.dMid;
    k.matmulBackward(this.cfg.layerNorm ? this.dTmp : dX, G, this.o('head.weight'), G, this.o('head.bias'), this.dLogits, hF, P, N, C, V);
    if (this.cfg.layerNorm) {
      k.layernormBackward(dX, G, G, this.o('ln_f.weight'), this.o('ln_f.bias'), this.dTmp, this.xFinal, P, this.lnfMean, this.lnfRstd, N, C);
    }
    for (let l = L - 1; l >= 0; l--) {
      const a = this.blocks[l];
      const p = `blocks.${l}`;
      // x_out = x_mid + drop(mlp(ln2(x_mid)))   (or drop(mlp(…)) without residual)
      this.dropoutBack(`${p}.mlp`, this.dTmp, dX, N * C);
      k.matmulBackward(this.dWide, G, this.o(`${p}.mlp.proj.weight`), G, this.o(`${p}.mlp.proj.bias`), this.dTmp, a.act, P, N, F, C);
      k.activationBackward(this.cfg.activation, this.dWide2, a.fc, this.dWide, N * F);
      const h2 = this.cfg.layerNorm ? a.ln2 : a.xMid;
      k.matmulBackward(this.dTmp, G, this.o(`${p}.mlp.fc.weight`), G, this.o(`${p}.mlp.fc.bias`), this.dWide2, h2, P, N, C, F);
      if (this.cfg.layerNorm) {
        k.layernormBackward(this.dTmp2, G, G, this.o(`${p}.ln2.weight`), this.o(`${p}.ln2.bias`), this.dTmp, a.xMid, P, a.ln2Mean, a.ln2Rstd, N, C);
        this.accumulate(dMid, dX, this.dTmp2, N * C);
      } else this.accumulate(dMid, dX, this.dTmp, N * C);
      // x_mid = x_in + drop(attn(ln1(x_in)))
      this.dropoutBack(`${p}.attn`, this.dTmp, dMid, N * C);
      k.matmulBackward(this.dTmp2, G, this.o(`${p}.attn.proj.weight`), G, this.o(`${p}.attn.proj.bias`), this.dTmp, a.attY, P, N, C, C);
      k.attentionBackward(this.dWide, this.dTmp2, a.qkv, a.att, B, T, C, NH);
      const h1 = this.cfg.layerNorm ? a.ln1 : this.xs[l];
      k.matmulBackward(this.dTmp, G, this.o(`${p}.attn.qkv.weight`), G, this.o(`${p}.attn.qkv.bias`), this.dWide, h1, P, N, C, 3 * C);
      if (this.cfg.layerNorm) {
        k.layernormBackward(this.dTmp2, G, G, this.o(`${p}.ln1.weight`), this.o(`${p}.ln1.bias`), this.dTmp, this.xs[l], P, a.ln1Mean, a.ln1Rstd, N, C);
        this.accumulate(dX, dMid, this.dTmp2, N * C);
      } else this.accumulate(dX, dMid, this.dTmp, N * C);
    }
    this.dropoutBack('emb', this.dTmp, dX, N * C);
    const tok = this.table.byName.get('tok_emb.weight')!;
    const pos = this.table.byName.get('pos_emb.weight')!;
    k.encoderBackward(G.subarray(tok.offset, tok.offset + tok.size), G.subarray(pos.offset, pos.offset + pos.size), this.dTmp, this.inputs, B, T, C);
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
    const named: [string, ArrayLike<number>][] = [['emb', this.emb]];
    this.blocks.forEach((a, l) => {
      const p = `blocks.${l}`;
      if (this.cfg.layerNorm) named.push([`${p}.ln1`, a.ln1]);
      named.push([`${p}.attn.qkv`, a.qkv], [`${p}.attn`, a.att], [`${p}.attn.proj`, a.attProj], [`${p} (after attn)`, a.xMid]);
      if (this.cfg.layerNorm) named.push([`${p}.ln2`, a.ln2]);
      named.push([`${p}.mlp.fc`, a.fc], [`${p}.mlp.act`, a.act], [`${p}.mlp.proj`, a.mlpProj], [`${p} (output)`, this.xs[l + 1]]);
    });
    if (this.cfg.layerNorm) named.push(['ln_f', this.lnf]);
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

/** The parameter table in PyTorch names and layouts (DESIGN.md, "Reference model"). */
export function buildParamTable(m: ModelConfig): ParamTable {
  const { nLayers: L, dModel: d, dFF: f, vocabSize: V, contextLength: T } = m;
  const entries: [string, number[], number][] = [
    ['tok_emb.weight', [V, d], 0],
    ['pos_emb.weight', [T, d], 0],
  ];
  for (let i = 0; i < L; i++) {
    const p = `blocks.${i}`;
    if (m.layerNorm) entries.push([`${p}.ln1.weight`, [d], i + 1], [`${p}.ln1.bias`, [d], i + 1]);
    entries.push(
      [`${p}.attn.qkv.weight`, [3 * d, d], i + 1],
      [`${p}.attn.qkv.bias`, [3 * d], i + 1],
      [`${p}.attn.proj.weight`, [d, d], i + 1],
      [`${p}.attn.proj.bias`, [d], i + 1],
    );
    if (m.layerNorm) entries.push([`${p}.ln2.weight`, [d], i + 1], [`${p}.ln2.bias`, [d], i + 1]);
    entries.push(
      [`${p}.mlp.fc.weight`, [f, d], i + 1],
      [`${p}.mlp.fc.bias`, [f], i + 1],
      [`${p}.mlp.proj.weight`, [d, f], i + 1],
      [`${p}.mlp.proj.bias`, [d], i + 1],
    );
  }
  if (m.layerNorm) entries.push(['ln_f.weight', [d], L + 1], ['ln_f.bias', [d], L + 1]);
  entries.push(['head.weight', [V, d], L + 1], ['head.bias', [V], L + 1]);

  const tensors: ParamInfo[] = [];
  let offset = 0;
  for (const [name, shape, layer] of entries) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, offset, size, layer });
    offset += size;
  }
  return paramTableOf(tensors);
}

/** Names of the dropout sites, in forward order. */
function dropoutSites(nLayers: number): string[] {
  const sites = ['emb'];
  for (let i = 0; i < nLayers; i++) sites.push(`blocks.${i}.attn`, `blocks.${i}.mlp`);
  return sites;
}

/** The reference GPT as an architecture: its table, its dropout sites (one mask element per activation of the residual stream), its model. */
export const gpt: Architecture = {
  name: 'gpt',
  table: buildParamTable,
  dropoutSites: (cfg) => dropoutSites(cfg.nLayers),
  maskElements: (cfg, batchSize, contextLength) => batchSize * contextLength * cfg.dModel,
  create: (cfg, kernels, dtype, batchSize, contextLength) => new GPT(cfg, kernels, dtype, batchSize, contextLength),
};
