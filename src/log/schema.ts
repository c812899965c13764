import { Ajv, type ValidateFunction } from 'ajv';
import { configSchemaError } from '../engine/config.ts';
import { fieldSchema, STEP_FIELDS } from './fields.ts';
import type { RecordKind } from './records.ts';

const bytes = (len?: number) => ({ bytes: len ?? true });
const nullableBytes = { anyOf: [{ type: 'null' }, { bytes: true }] };
const int = (min = 0) => ({ type: 'integer', minimum: min });
const str = { type: 'string', maxLength: 10_000 };
const hash = { type: 'string', pattern: '^[0-9a-f]{32}$' };
const obj = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false });
/**
 * A record: its known fields required and checked, and fields this version does not know
 * accepted and kept — a later revision of format 1 may add optional fields (docs/format.md,
 * "Versions"); a change an older reader must not read past bumps the format version instead.
 */
const record = (properties: Record<string, unknown>, optional: Record<string, unknown> = {}) => ({ ...obj(properties), properties: { ...properties, ...optional }, additionalProperties: true });

/** One JSON Schema per record kind; every record read is validated against its kind's schema. */
export const RECORD_SCHEMAS: Record<RecordKind, object> = {
  header: record({
    kind: { const: 'header' },
    format: int(1),
    weft: str,
    scenario: str,
    // checked against CONFIG_SCHEMA by its generated validator (recordProblem): no compile at start-up
    config: { type: 'object' },
    seed: int(),
    dtype: { enum: ['float32', 'float64'] },
    numericMode: str,
    mode: { enum: ['full', 'compact', 'summary'] },
    keyframeEvery: int(1),
    vocabSize: int(2),
    vocab: { anyOf: [{ type: 'null' }, { type: 'array', items: str, maxItems: 65536 }] },
    params: {
      type: 'array', maxItems: 100_000,
      items: obj({ name: str, shape: { type: 'array', items: int(1), maxItems: 8 }, offset: int(), size: int(1), layer: int() }),
    },
    dropoutSites: { type: 'array', items: str, maxItems: 1000 },
    maskElements: int(),
    optimBuffers: obj({ m: { type: 'boolean' }, v: { type: 'boolean' } }),
    parent: { anyOf: [{ type: 'null' }, obj({ hash: { type: 'string', pattern: '^[0-9a-f]{64}$' }, step: int() })] },
    startStep: int(),
  }, { arch: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } }),
  keyframe: record({ kind: { const: 'keyframe' }, step: int(), optimT: int(), params: bytes(), m: bytes(), v: bytes(), stateHash: hash }),
  // the step record from its field table (fields.ts)
  step: record({ kind: { const: 'step' }, ...Object.fromEntries(STEP_FIELDS.map((f) => [f.key, fieldSchema(f)])) }),
  anomaly: record({
    kind: { const: 'anomaly' }, step: int(1), stage: { enum: ['loss', 'grad', 'param'] },
    tensor: { anyOf: [{ type: 'null' }, str] }, index: { anyOf: [{ type: 'null' }, int()] },
  }),
  end: record({ kind: { const: 'end' }, reason: { enum: ['completed', 'non-finite', 'interrupted'] }, steps: int(), stateHash: hash }),
  index: record({ kind: { const: 'index' }, offsets: bytes(), kinds: bytes(), steps: bytes() }),
};

let ajv: Ajv | null = null;
const validators: Partial<Record<RecordKind, ValidateFunction>> = {};

/** A record kind's validator, compiled when first needed (start-up does not pay for it). */
function validatorOf(kind: RecordKind): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv({ allErrors: false, strict: true });
    ajv.addKeyword({
      keyword: 'bytes',
      // msgpack bins decode to Uint8Array (Buffer); `bytes: n` also fixes the length
      validate: (schema: boolean | number, data: unknown) => data instanceof Uint8Array && (schema === true || data.length === schema),
      errors: false,
    });
  }
  return (validators[kind] ??= ajv.compile(RECORD_SCHEMAS[kind]));
}

/** Returns null when valid, else a short description of the first problem ("step.loss: …"). */
export function recordProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'record body is not a map';
  const kind = (body as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(RECORD_SCHEMAS, kind)) return `unknown record kind ${JSON.stringify(kind)}`;
  const v = validatorOf(kind as RecordKind);
  if (v(body)) {
    const c = kind === 'header' ? configSchemaError((body as { config: unknown }).config) : null;
    if (!c) return null;
    const at = c.instancePath.replace(/^\//, '').replace(/\//g, '.') || (c.params as { missingProperty?: string }).missingProperty || (c.params as { additionalProperty?: string }).additionalProperty || '';
    return `header.config${at ? `.${at}` : ''}: ${c.message}`;
  }
  const e = v.errors![0];
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || (e.params as { missingProperty?: string }).missingProperty || (e.params as { additionalProperty?: string }).additionalProperty || '';
  return `${kind}${field ? `.${field}` : ''}: ${e.keyword === 'bytes' ? 'expected bytes of the right length' : e.message}`;
}
