import type { Activation } from '../kernels/types.ts';

export interface ModelConfig {
  nLayers: number;
  nHeads: number;
  dModel: number;
  dFF: number;
  /** Resolved vocabulary size V (the engine fills it from the corpus when the scenario says 0). */
  vocabSize: number;
  contextLength: number;
  residual: boolean;
  layerNorm: boolean;
  dropout: number;
  activation: Activation;
  initStd: number;
  /** `normal`: every weight N(0, initStd); `gpt2`: residual projections N(0, initStd/√(2·nLayers)). */
  initScheme: 'normal' | 'gpt2';
}

/**
 * One parameter tensor's place in the flat buffer. `layer` is 0 for the embeddings, 1…L for
 * blocks.0…blocks.{L−1} (the story's "Layer 4" is blocks.3), and L+1 for ln_f and head.
 */
export interface ParamInfo {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  layer: number;
}

export interface ParamTable {
  tensors: ParamInfo[];
  total: number;
  nLayerGroups: number;
  byName: Map<string, ParamInfo>;
}

export function layerName(layer: number, nLayers: number): string {
  if (layer === 0) return 'emb';
  if (layer === nLayers + 1) return 'head';
  return `layer ${layer}`;
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
  return paramTableOf(tensors, L);
}

/** The table of a list of tensors (buffer order), as built above or as a log header records it. */
export function paramTableOf(tensors: readonly ParamInfo[], nLayers: number): ParamTable {
  const last = tensors[tensors.length - 1];
  return { tensors: [...tensors], total: last ? last.offset + last.size : 0, nLayerGroups: nLayers + 2, byName: new Map(tensors.map((t) => [t.name, t])) };
}

/** The tensor holding flat index i of the buffer, and i's index within it (binary search); null past the end. */
export function tensorAt(table: Pick<ParamTable, 'tensors'>, i: number): { tensor: ParamInfo; index: number } | null {
  const ts = table.tensors;
  let lo = 0;
  let hi = ts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = ts[mid];
    if (i < t.offset) hi = mid - 1;
    else if (i >= t.offset + t.size) lo = mid + 1;
    else return { tensor: t, index: i - t.offset };
  }
  return null;
}

/** Names of the dropout sites, in forward order. */
export function dropoutSites(nLayers: number): string[] {
  const sites = ['emb'];
  for (let i = 0; i < nLayers; i++) sites.push(`blocks.${i}.attn`, `blocks.${i}.mlp`);
  return sites;
}
