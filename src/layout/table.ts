/**
 * The layout of a model's parameters in one flat buffer (llm.c's ParameterTensors): each tensor's
 * name, shape, offset and layer group. A model declares its table (model/); a log header stores
 * it, and everything downstream — the recorder, replay, diff, goldens, the viewer — reads tensors
 * and layer groups from the table, knowing nothing of the architecture that made it.
 */

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

/**
 * The table of a list of tensors (buffer order), as a model declares it or a log header records
 * it; its layer groups run from 0 to the highest layer a tensor names.
 */
export function paramTableOf(tensors: readonly ParamInfo[]): ParamTable {
  const last = tensors[tensors.length - 1];
  const nLayerGroups = tensors.reduce((n, t) => Math.max(n, t.layer + 1), 0);
  return { tensors: [...tensors], total: last ? last.offset + last.size : 0, nLayerGroups, byName: new Map(tensors.map((t) => [t.name, t])) };
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

