import { bytesOf, f64Bytes, f64From, viewAs } from './format.ts';

/** What a value belongs to, as a person traces a difference back to its cause. */
export type Stream = 'config' | 'weight' | 'batch' | 'mask' | 'loss' | 'gradient' | 'moment' | 'clip' | 'lr' | 'hash';

/**
 * How a field is stored in a step record (docs/format.md, "msgpack conventions"):
 * int / hash — msgpack integer / 32 hex digits; f64 — one float64 in an 8-byte bin (−0 and
 * NaN survive); f64s / i32s — a bin of little-endian float64 / int32; floats — a float-array
 * block (codec.ts); masks — bit-packed keep-masks in an rANS block.
 */
export type Encoding = 'int' | 'hash' | 'f64' | 'f64s' | 'i32s' | 'floats' | 'masks';

export interface StepField {
  /** the msgpack key */
  readonly key: string;
  readonly encoding: Encoding;
  /** absent in some recording modes (stored as nil) */
  readonly nullable: boolean;
  /** the format version it appeared in */
  readonly since: number;
  /** what the value belongs to, for comparisons (log/compare.ts) */
  readonly stream: Stream;
  /** what it holds */
  readonly doc: string;
}

/**
 * The step record's fields: the one definition the encoder (encodeStep), the JSON Schema
 * (schema.ts), the decoded view (decodeStep, StepView) and the docs follow. In the order they are
 * written (which fixes the log's bytes); comparisons take them in causal order (compare.ts).
 */
export const STEP_FIELDS = [
  { key: 'step', encoding: 'int', nullable: false, since: 1, stream: 'hash', doc: 'the step number, from 1' },
  { key: 'inputs', encoding: 'i32s', nullable: false, since: 1, stream: 'batch', doc: 'the batch’s input token ids, batch × context' },
  { key: 'targets', encoding: 'i32s', nullable: false, since: 1, stream: 'batch', doc: 'the batch’s target token ids' },
  { key: 'loss', encoding: 'f64', nullable: false, since: 1, stream: 'loss', doc: 'mean cross-entropy of the step' },
  { key: 'lr', encoding: 'f64', nullable: false, since: 1, stream: 'lr', doc: 'the learning rate used' },
  { key: 'gradNormGlobal', encoding: 'f64', nullable: false, since: 1, stream: 'gradient', doc: 'L2 norm of the whole gradient before clipping' },
  { key: 'gradNormPerLayer', encoding: 'f64s', nullable: false, since: 1, stream: 'gradient', doc: 'L2 norm per layer group before clipping' },
  { key: 'gradNormPerTensor', encoding: 'f64s', nullable: false, since: 1, stream: 'gradient', doc: 'L2 norm per tensor before clipping, in table order' },
  { key: 'clipFactor', encoding: 'f64', nullable: false, since: 1, stream: 'clip', doc: 'the factor the gradient was multiplied by (1 = not clipped)' },
  { key: 'masks', encoding: 'masks', nullable: true, since: 1, stream: 'mask', doc: 'dropout keep-masks of every site; nil without dropout and in compact logs' },
  { key: 'params', encoding: 'floats', nullable: true, since: 1, stream: 'weight', doc: 'full logs: the weight update — the parameters after the step as a difference from before it' },
  { key: 'm', encoding: 'floats', nullable: true, since: 1, stream: 'moment', doc: 'full logs: the first moment after the step, as a difference from before it' },
  { key: 'v', encoding: 'floats', nullable: true, since: 1, stream: 'moment', doc: 'full logs: the second moment after the step, as a difference from before it' },
  { key: 'grads', encoding: 'floats', nullable: true, since: 1, stream: 'gradient', doc: 'compact logs: the gradient after clipping, which the optimizer consumed' },
  { key: 'optimT', encoding: 'int', nullable: false, since: 1, stream: 'weight', doc: 'the optimizer’s step count after the step' },
  { key: 'stateHash', encoding: 'hash', nullable: false, since: 1, stream: 'hash', doc: 'hash of the state after the step' },
] as const satisfies readonly StepField[];

type Fields = (typeof STEP_FIELDS)[number];

/** What each encoding stores, and what it decodes to. */
interface Stored { int: number; hash: string; f64: Uint8Array; f64s: Uint8Array; i32s: Uint8Array; floats: Uint8Array; masks: Uint8Array }
interface Decoded { int: number; hash: string; f64: number; f64s: Float64Array; i32s: Int32Array; floats: Uint8Array; masks: Uint8Array }
type Value<F extends Fields, T> = F['encoding'] extends keyof T ? (F['nullable'] extends true ? T[F['encoding']] | null : T[F['encoding']]) : never;

/** A step record as stored (msgpack map). */
export type StepRecordBody = { kind: 'step' } & { [F in Fields as F['key']]: Value<F, Stored> };
/** A step record with its scalars and small arrays decoded (float arrays and masks stay coded: applyStep, stepMasks). */
export type StepView = { [F in Fields as F['key']]: Value<F, Decoded> };
/** What the recorder hands to encodeStep: decoded values, float arrays and masks already coded. */
export type StepValues = { [F in Fields as F['key']]: Value<F, { int: number; hash: string; f64: number; f64s: Float64Array; i32s: Int32Array; floats: Uint8Array; masks: Uint8Array }> };

const encoders: Record<Encoding, (v: never) => unknown> = {
  int: (v: number) => v,
  hash: (v: string) => v,
  f64: (v: number) => f64Bytes(v),
  f64s: (v: Float64Array) => bytesOf(v),
  i32s: (v: Int32Array) => bytesOf(v),
  floats: (v: Uint8Array) => v,
  masks: (v: Uint8Array) => v,
};

const decoders: Record<Encoding, (v: never) => unknown> = {
  int: (v: number) => v,
  hash: (v: string) => v,
  f64: (v: Uint8Array) => f64From(v),
  f64s: (v: Uint8Array) => viewAs(v, Float64Array),
  i32s: (v: Uint8Array) => viewAs(v, Int32Array),
  floats: (v: Uint8Array) => v,
  masks: (v: Uint8Array) => v,
};

/** The record the log stores for a step, its keys in table order. */
export function encodeStep(values: StepValues): StepRecordBody {
  const body: Record<string, unknown> = { kind: 'step' };
  for (const f of STEP_FIELDS) {
    const v = values[f.key];
    body[f.key] = v === null ? null : (encoders[f.encoding] as (x: unknown) => unknown)(v);
  }
  return body as StepRecordBody;
}

/** A stored step's fields decoded (stepView's one implementation). */
export function decodeStep(r: StepRecordBody): StepView {
  const out: Record<string, unknown> = {};
  for (const f of STEP_FIELDS) {
    const v = r[f.key];
    out[f.key] = v === null ? null : (decoders[f.encoding] as (x: unknown) => unknown)(v);
  }
  return out as StepView;
}

/** The JSON Schema of a stored field (an `ajv` schema; `bytes` is schema.ts's keyword for bins). */
export function fieldSchema(f: StepField): object {
  const base: Record<Encoding, object> = {
    int: { type: 'integer', minimum: f.key === 'step' ? 1 : 0 },
    hash: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    f64: { bytes: 8 },
    f64s: { bytes: true },
    i32s: { bytes: true },
    floats: { bytes: true },
    masks: { bytes: true },
  };
  return f.nullable ? { anyOf: [{ type: 'null' }, base[f.encoding]] } : base[f.encoding];
}
