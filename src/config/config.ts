import validateGenerated from './config.validate.mjs';
import type { ModelConfig } from '../model/params.ts';
import { architectureOf, architectures } from '../model/model.ts';
import type { OptimConfig } from '../optim/optimizer.ts';
import { optimizerKinds } from '../optim/registry.ts';
import type { ScheduleConfig } from '../optim/schedule.ts';
import type { DataConfig } from '../data/dataset.ts';
import { taskKindOf, taskKinds } from '../data/registry.ts';
import type { Dtype } from '../kernels/types.ts';
import { NUMERIC_NAMES, type Numeric } from '../kernels/modes.ts';
import { ConfigError } from '../errors.ts';

export type RecordMode = 'full' | 'compact' | 'summary';

export interface RecordConfig {
  mode: RecordMode;
  /** A keyframe (full state) every this many steps; bounds the cost of replay. */
  keyframeEvery: number;
}

/**
 * Attention probes (optional): at step 0, every `every` steps and at the last step the recorder
 * writes every layer's and head's attention on each sentence, dropout off. Probing reads the
 * state; it changes no bit of training or of the other records.
 */
export interface ProbeConfig {
  every: number;
  sentences: string[];
  /** links people follow through training, `word->word`: the query word and the word it should look at */
  links: string[];
  /**
   * prompts whose greedy continuation (COMPLETION_TOKENS tokens) and next-token distribution
   * (its COMPLETION_TOP likeliest entries) each probe also records; none by default, so that a
   * probe section without the key writes the bytes it always did
   */
  prompts: string[];
}

/** The story's sentences and links a probe follows unless told otherwise. */
export const PROBE_DEFAULTS: ProbeConfig = {
  every: 50,
  sentences: ['The scientists published their findings after they completed the experiment.', 'The professor finished her lecture.'],
  links: ['they->scientists', 'her->professor'],
  prompts: [],
};

/** The story's opening words: the prompt a completion probe is usually given (`--set probe.prompts=…`). */
export const STORY_PROMPT = 'The scientists published their';

/**
 * Held-out evaluation (optional): at the start step, every `every` steps and at the last step the
 * recorder writes an `eval` record — the loss (and accuracy, for a task with one answer) on the
 * held-out split and on the training split, dropout off, from the exact state. `batches`: how
 * many batches of each split, from its first example on (0: the whole split). It reads the state;
 * it changes no bit of training or of the other records.
 */
export interface EvalConfig {
  every: number;
  batches: number;
}

export const EVAL_DEFAULTS: EvalConfig = { every: 50, batches: 0 };

/** Sections a config may leave out; given in part (a scenario, --set), they start from these. */
const OPTIONAL_SECTIONS: Record<string, unknown> = { probe: PROBE_DEFAULTS, eval: EVAL_DEFAULTS };

export interface WeftConfig {
  seed: number;
  steps: number;
  dtype: Dtype;
  /**
   * The numeric mode (kernels/modes.ts): `f64acc` (float64 accumulation, the default) or
   * `f32acc` (float32 arithmetic throughout: faster, float32's rounding). The log header names it.
   */
  numeric: Numeric;
  model: ModelConfig;
  optim: OptimConfig;
  clip: { maxNorm: number };
  schedule: ScheduleConfig;
  data: DataConfig;
  record: RecordConfig;
  probe?: ProbeConfig;
  eval?: EvalConfig;
}

export type DeepPartial<T> = { [K in keyof T]?: NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> : T[K] };

/** The story's model (DESIGN.md "fabric"): 12 layers, d 64, 8 heads, dff 256, T 16. */
export const FABRIC: Partial<ModelConfig> = { nLayers: 12, nHeads: 8, dModel: 64, dFF: 256, contextLength: 16 };
/** The test model (DESIGN.md "tiny"): 2 layers, d 32, 4 heads, dff 128, V 64, T 16. */
export const TINY: Partial<ModelConfig> = { nLayers: 2, nHeads: 4, dModel: 32, dFF: 128, vocabSize: 64, contextLength: 16 };

export const DEFAULT_CONFIG: WeftConfig = {
  seed: 1,
  steps: 100,
  dtype: 'float32',
  numeric: 'f64acc',
  model: {
    arch: 'gpt', nLayers: 12, nHeads: 8, dModel: 64, dFF: 256, vocabSize: 0, contextLength: 16,
    residual: true, layerNorm: true, dropout: 0.1, activation: 'gelu', initStd: 0.02, initScheme: 'gpt2',
    bias: true, mlp: true, posEmb: true, tieEmbeddings: false,
  },
  optim: { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, momentum: 0.9 },
  clip: { maxNorm: 0 },
  schedule: { kind: 'constant', warmupSteps: 0, minLrRatio: 0.1 },
  data: { kind: 'corpus', corpus: 'story', batchSize: 8, sentences: 2000, corpusSeed: 1, randomTokens: 65536, trainFraction: 1, p: 59, op: '+', path: '', tokenizer: 'char', heldOutPath: '', vocabPath: '' },
  record: { mode: 'compact', keyframeEvery: 100 },
};

const num = (minimum: number, maximum?: number) => ({ type: 'number', minimum, ...(maximum !== undefined ? { maximum } : {}) });
const int = (minimum: number, maximum?: number) => ({ type: 'integer', minimum, ...(maximum !== undefined ? { maximum } : {}) });
const obj = (properties: Record<string, unknown>) => ({
  type: 'object', properties, required: Object.keys(properties), additionalProperties: false,
});
const filePath = { type: 'string', pattern: '^[\\s\\S]{0,4096}$' };
/** An object schema with sections it may leave out. */
const optional = (o: ReturnType<typeof obj>, sections: Record<string, unknown>) => ({ ...o, properties: { ...o.properties, ...sections } });

const PROBE_SCHEMA = obj({
  every: int(1, 10_000_000),
  // a word at least, 1,000 characters at most (as a pattern: maxLength would need ajv's runtime in the generated validator)
  sentences: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', pattern: '^(?=[\\s\\S]*\\S)[\\s\\S]{1,1000}$' } },
  links: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^[^\\s>-]+->[^\\s>-]+$' } },
  prompts: { type: 'array', maxItems: 16, items: { type: 'string', pattern: '^(?=[\\s\\S]*\\S)[\\s\\S]{1,1000}$' } },
});

/** JSON Schema of a complete config. Bounds keep every size finite and every loop bounded. */
export const CONFIG_SCHEMA = optional(obj({
  seed: int(0, Number.MAX_SAFE_INTEGER),
  steps: int(0, 10_000_000),
  dtype: { enum: ['float32', 'float64'] },
  numeric: { enum: NUMERIC_NAMES },
  model: obj({
    arch: { enum: architectures() },
    nLayers: int(1, 64), nHeads: int(1, 64), dModel: int(1, 4096), dFF: int(1, 16384),
    vocabSize: int(0, 65536), contextLength: int(1, 4096),
    residual: { type: 'boolean' }, layerNorm: { type: 'boolean' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    activation: { enum: ['gelu', 'relu', 'tanh'] },
    initStd: num(0, 100), initScheme: { enum: ['normal', 'gpt2'] },
    bias: { type: 'boolean' }, mlp: { type: 'boolean' }, posEmb: { type: 'boolean' }, tieEmbeddings: { type: 'boolean' },
  }),
  optim: obj({
    kind: { enum: optimizerKinds() },
    lr: num(0, 1e6), beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, eps: num(0, 1),
    weightDecay: num(0, 1e6), momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
  }),
  clip: obj({ maxNorm: num(0, 1e12) }),
  schedule: obj({ kind: { enum: ['constant', 'cosine'] }, warmupSteps: int(0, 10_000_000), minLrRatio: num(0, 1) }),
  data: obj({
    kind: { enum: taskKinds() },
    corpus: { enum: ['story', 'random'] }, batchSize: int(1, 4096), sentences: int(0, 1_000_000),
    corpusSeed: int(0, Number.MAX_SAFE_INTEGER), randomTokens: int(2, 100_000_000),
    trainFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    // p² examples: 1,048,576 at most
    p: int(2, 1024), op: { enum: ['+', '-', '*', '/'] },
    // a user's files (data.kind text, tokens), as given: 4,096 characters at most
    path: filePath, tokenizer: { enum: ['char', 'word', 'bpe'] }, heldOutPath: filePath, vocabPath: filePath,
  }),
  record: obj({ mode: { enum: ['full', 'compact', 'summary'] }, keyframeEvery: int(1, 10_000_000) }),
}), { probe: PROBE_SCHEMA, eval: obj({ every: int(1, 10_000_000), batches: int(0, 1_000_000) }) });

// CONFIG_SCHEMA's validator, generated ahead as JavaScript (scripts/build-validators.ts; a test
// keeps it in step with the schema): compiling the schema would cost every command ≈ 30 ms
const validateSchema = (c: unknown): c is WeftConfig => validateGenerated(c);

function pathOf(instancePath: string, extra?: string): string {
  const p = instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  return extra ? (p ? `${p}.${extra}` : extra) : p;
}

/** Throws a ConfigError naming the first bad field and what it allows. */
export function validateConfig(c: unknown): WeftConfig {
  if (!validateSchema(c)) {
    const e = validateGenerated.errors![0];
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') {
      const path = pathOf(e.instancePath, String(params.additionalProperty));
      throw new ConfigError(path, `unknown key; known keys here: ${knownKeys(e.instancePath).join(', ')}`);
    }
    if (e.keyword === 'enum') throw new ConfigError(pathOf(e.instancePath), `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(c, e.instancePath))}`);
    if (e.keyword === 'required') throw new ConfigError(pathOf(e.instancePath, String(params.missingProperty)), 'is missing');
    throw new ConfigError(pathOf(e.instancePath), `${e.message}, got ${JSON.stringify(valueAt(c, e.instancePath))}`);
  }
  const cfg = c as unknown as WeftConfig;
  const m = cfg.model;
  if (m.dModel % m.nHeads !== 0) throw new ConfigError('model.nHeads', `must divide model.dModel (${m.dModel}), got ${m.nHeads}`);
  architectureOf(m.arch).check?.(m);
  const task = taskKindOf(cfg.data.kind);
  if (cfg.probe && !task.words(cfg.data)) throw new ConfigError('probe', `attention probes need words: a run on the story corpus (data.corpus story), not the ${task.describe(cfg.data)}`);
  task.check(cfg.data, m);
  if (cfg.eval && cfg.data.trainFraction === 1 && cfg.data.heldOutPath === '') throw new ConfigError('eval', 'evaluation needs held-out examples: set data.trainFraction below 1 (0.9 holds a tenth out)');
  if (cfg.numeric === 'f32acc' && cfg.dtype !== 'float32') throw new ConfigError('numeric', `f32acc computes in float32 and needs float32 storage (dtype float32), got dtype ${cfg.dtype}`);
  if (m.vocabSize === 1) throw new ConfigError('model.vocabSize', 'must be 0 (all words of the corpus) or at least 2');
  return cfg;
}

function valueAt(c: unknown, instancePath: string): unknown {
  let v: unknown = c;
  for (const k of instancePath.split('/').filter(Boolean)) v = (v as Record<string, unknown>)?.[k];
  return v;
}

function knownKeys(instancePath: string): string[] {
  let s: { properties?: Record<string, unknown> } = CONFIG_SCHEMA;
  for (const k of instancePath.split('/').filter(Boolean)) s = (s.properties?.[k] ?? {}) as typeof s;
  return Object.keys(s.properties ?? {});
}

/** Deep merge of plain objects; arrays and scalars replace. Keys are visited in the base's order. */
export function mergeConfig<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return structuredClone(base);
  const out = structuredClone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    // an optional section (probe) given in part starts from its defaults
    const b = out[k] ?? (isPlainObject(v) && Object.hasOwn(OPTIONAL_SECTIONS, k) ? OPTIONAL_SECTIONS[k] : undefined);
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeConfig<Record<string, unknown>>(b, v as DeepPartial<Record<string, unknown>>) : structuredClone(v);
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses `--set` values: JSON literals (numbers, booleans, null), else the raw string. */
function parseSetValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Applies `key=value` overrides on dotted config paths; unknown keys are a ConfigError. */
export function applySets(cfg: WeftConfig, sets: readonly string[]): WeftConfig {
  const out = structuredClone(cfg) as unknown as Record<string, unknown>;
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', `expected key=value, got ${JSON.stringify(s)}`);
    const path = s.slice(0, eq).trim();
    const keys = path.split('.');
    let node = out;
    let schema: { properties?: Record<string, unknown> } = CONFIG_SCHEMA;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const known = Object.keys(schema.properties ?? {});
      if (!known.includes(k)) {
        const where = keys.slice(0, i).join('.');
        throw new ConfigError(path, `unknown config key${where ? ` under ${where}` : ''}; known: ${known.join(', ')}`);
      }
      schema = schema.properties![k] as typeof schema;
      if (i === keys.length - 1) {
        if (schema.properties) throw new ConfigError(path, `is a section; set one of its keys: ${Object.keys(schema.properties).map((x) => `${path}.${x}`).join(', ')}`);
        node[k] = parseSetValue(s.slice(eq + 1).trim());
      } else node = (node[k] ??= structuredClone(OPTIONAL_SECTIONS[k])) as Record<string, unknown>;
    }
  }
  return validateConfig(out);
}

/** The keys `--set` takes, flattened (`model.nHeads`, …). */
export function configKeys(): string[] {
  const out: string[] = [];
  const walk = (s: { properties?: Record<string, unknown> }, prefix: string) => {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const p = prefix ? `${prefix}.${k}` : k;
      if ((v as { properties?: unknown }).properties) walk(v as typeof s, p);
      else out.push(p);
    }
  };
  walk(CONFIG_SCHEMA, '');
  return out;
}
