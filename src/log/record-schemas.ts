// The log records' JSON Schemas (the step record's from its field table), and the Ajv that
// compiles them: scripts/build-validators.ts writes their validators out ahead of time
// (records.validate.mjs), which schema.ts uses.
import { _, Ajv } from 'ajv';
import { CONFIG_SCHEMA } from '../config/config.ts';
import { storedConfigSchema } from '../config/evolution.ts';
import { fieldSchema, STEP_FIELDS } from './fields.ts';
import type { RecordKind } from './records.ts';

const bytes = (len?: number) => ({ bytes: len ?? true });
const nullableBytes = { anyOf: [{ type: 'null' }, { bytes: true }] };
const int = (min = 0) => ({ type: 'integer', minimum: min });
// at most 10,000 characters, as a pattern: maxLength would need ajv's runtime in the generated validators
const str = { type: 'string', pattern: '^[\\s\\S]{0,10000}$' };
const hash = { type: 'string', pattern: '^[0-9a-f]{32}$' };
const obj = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false });
/**
 * A record: its known fields required and checked, and fields this version does not know
 * accepted and kept — a later revision of format 1 may add optional fields (docs/format.md,
 * "Versions"); a change an older reader must not read past bumps the format version instead.
 */
const record = (properties: Record<string, unknown>, optional: Record<string, unknown> = {}) => ({ ...obj(properties), properties: { ...properties, ...optional }, additionalProperties: true });

const splitFigures = () => obj({ examples: int(), counted: int(), loss: bytes(8), accuracy: { anyOf: [{ type: 'null' }, bytes(8)] } });

/** One JSON Schema per record kind; every record read is validated against its kind's schema. */
export const RECORD_SCHEMAS: Record<RecordKind, object> = {
  header: record({
    kind: { const: 'header' },
    format: int(1),
    weft: str,
    scenario: str,
    // as stored: keys added later may be absent (config/evolution.ts)
    config: storedConfigSchema(CONFIG_SCHEMA),
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
  }, {
    arch: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' },
    // a run on a user's files: them by content, the tokenizer and its token names (data/task.ts DataSource)
    data: obj({
      tokenizer: { enum: ['char', 'word', 'bpe', 'uint16'] },
      files: { type: 'array', minItems: 1, maxItems: 3, items: obj({ key: { enum: ['data.path', 'data.heldOutPath', 'data.vocabPath'] }, path: str, bytes: int(1), sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } }) },
      vocab: { anyOf: [{ type: 'null' }, { type: 'array', items: str, maxItems: 65536 }] },
    }),
  }),
  keyframe: record({ kind: { const: 'keyframe' }, step: int(), optimT: int(), params: bytes(), m: bytes(), v: bytes(), stateHash: hash }),
  // the step record from its field table (fields.ts)
  step: record({ kind: { const: 'step' }, ...Object.fromEntries(STEP_FIELDS.map((f) => [f.key, fieldSchema(f)])) }),
  anomaly: record({
    kind: { const: 'anomaly' }, step: int(1), stage: { enum: ['loss', 'grad', 'param'] },
    tensor: { anyOf: [{ type: 'null' }, str] }, index: { anyOf: [{ type: 'null' }, int()] },
  }),
  end: record({ kind: { const: 'end' }, reason: { enum: ['completed', 'non-finite', 'interrupted'] }, steps: int(), stateHash: hash }),
  index: record({ kind: { const: 'index' }, offsets: bytes(), kinds: bytes(), steps: bytes() }),
  eval: record({ kind: { const: 'eval' }, step: int(), heldOut: splitFigures(), train: splitFigures() }),
  probe: record({ kind: { const: 'probe' }, step: int(), ids: { type: 'array', maxItems: 16, items: bytes() }, attention: { type: 'array', maxItems: 16, items: bytes() } }, {
    // completion probes (config.probe.prompts): optional, so a probe without prompts is the record it was
    completions: { type: 'array', maxItems: 16, items: obj({ ids: bytes(), tokens: bytes(), top: bytes(), probabilities: bytes() }) },
  }),
};

/**
 * The records' Ajv: their schemas, and the `bytes` keyword (a msgpack bin decodes to a
 * Uint8Array; `bytes: n` also fixes its length) as generated code, so that
 * scripts/build-validators.ts can write the validators out as JavaScript ahead of time.
 */
export function recordsAjv(opts: ConstructorParameters<typeof Ajv>[0] = {}): Ajv {
  const ajv = new Ajv({ allErrors: false, strict: true, ...opts });
  ajv.addKeyword({
    keyword: 'bytes',
    schemaType: ['boolean', 'number'],
    code(cxt) {
      const { data, schema } = cxt;
      cxt.fail(schema === true ? _`!(${data} instanceof Uint8Array)` : _`!(${data} instanceof Uint8Array && ${data}.length === ${schema as number})`);
    },
  });
  for (const [kind, schema] of Object.entries(RECORD_SCHEMAS)) ajv.addSchema(schema, `weft-${kind}`);
  return ajv;
}

