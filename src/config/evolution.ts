/**
 * How configs grow without breaking what was written before. A key added after the first logs
 * were written is listed here with the value that means "as before" (the behaviour of every
 * weft before the key). A stored config — a log header's, a golden's — that lacks it was written
 * before it existed: reading completes it with that value (completeConfig). Writing leaves a key
 * at that value out (canonicalConfig), so that a new key changes no byte of a log, a golden or a
 * config hash that does not use it. Keys are never removed or renamed: a stored config always
 * reads as what it meant.
 */
import type { WeftConfig } from './config.ts';

export interface AddedKey {
  /** dotted path, as --set takes it */
  path: string;
  /** the value a config written before the key existed means */
  asBefore: unknown;
}

/** In the order they were added. */
export const ADDED_KEYS: readonly AddedKey[] = [
  { path: 'model.arch', asBefore: 'gpt' },
  { path: 'model.bias', asBefore: true },
  { path: 'model.mlp', asBefore: true },
  { path: 'model.posEmb', asBefore: true },
  { path: 'model.tieEmbeddings', asBefore: false },
  { path: 'numeric', asBefore: 'f64acc' },
  // the data's task: every log before it is language modelling on data.corpus
  { path: 'data.kind', asBefore: 'corpus' },
  // before the split every example trained
  { path: 'data.trainFraction', asBefore: 1 },
  // the modular task's keys, which no config before it used: at their defaults
  { path: 'data.p', asBefore: 59 },
  { path: 'data.op', asBefore: '+' },
  // the user-file kinds' keys (text, tokens), which no config before them used: at their defaults
  { path: 'data.path', asBefore: '' },
  { path: 'data.tokenizer', asBefore: 'char' },
  { path: 'data.heldOutPath', asBefore: '' },
  { path: 'data.vocabPath', asBefore: '' },
  // completion probes: none before them (the key is read only where a probe section is)
  { path: 'probe.prompts', asBefore: [] },
];

function parentOf(o: Record<string, unknown>, path: string): { parent: Record<string, unknown> | null; key: string } {
  const keys = path.split('.');
  let node: unknown = o;
  for (const k of keys.slice(0, -1)) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
  }
  return { parent: node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>) : null, key: keys[keys.length - 1] };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A stored config as this weft reads it: every added key it lacks, with the value it meant then. */
export function completeConfig<T>(stored: T): T {
  const out = structuredClone(stored) as Record<string, unknown>;
  for (const { path, asBefore } of ADDED_KEYS) {
    const { parent, key } = parentOf(out, path);
    if (parent && !Object.hasOwn(parent, key)) parent[key] = structuredClone(asBefore);
  }
  return out as T;
}

/** A config as it is stored (a header, a golden, a hash): the added keys that mean "as before" left out. */
export function canonicalConfig(c: WeftConfig): Record<string, unknown> {
  const out = structuredClone(c) as unknown as Record<string, unknown>;
  for (const { path, asBefore } of ADDED_KEYS) {
    const { parent, key } = parentOf(out, path);
    if (parent && Object.hasOwn(parent, key) && sameValue(parent[key], asBefore)) delete parent[key];
  }
  return out;
}

/** A config schema that also takes stored configs: the added keys are not required there. */
export function storedConfigSchema<S>(schema: S): S {
  const out = structuredClone(schema) as unknown as { properties?: Record<string, unknown>; required?: string[] };
  for (const { path } of ADDED_KEYS) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = node.properties![k] as typeof node;
    node.required = node.required?.filter((r) => r !== keys[keys.length - 1]);
  }
  return out as unknown as S;
}
