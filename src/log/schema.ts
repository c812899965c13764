import type { ValidateFunction } from 'ajv';
import { RECORD_SCHEMAS } from './record-schemas.ts';
import type { RecordKind } from './records.ts';
import * as generated from './records.validate.mjs';

export { RECORD_SCHEMAS };

/** The records' validators, generated ahead from RECORD_SCHEMAS (scripts/build-validators.ts; a test keeps them in step). */
const validators = generated as unknown as Record<`${RecordKind}Record`, ValidateFunction>;

/** Returns null when valid, else a short description of the first problem ("step.loss: …"). */
export function recordProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'record body is not a map';
  const kind = (body as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(RECORD_SCHEMAS, kind)) return `unknown record kind ${JSON.stringify(kind)}`;
  const v = validators[`${kind as RecordKind}Record`];
  if (v(body)) return null;
  const e = v.errors![0];
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || (e.params as { missingProperty?: string }).missingProperty || (e.params as { additionalProperty?: string }).additionalProperty || '';
  return `${kind}${field ? `.${field}` : ''}: ${e.keyword === 'bytes' ? 'expected bytes of the right length' : e.message}`;
}
