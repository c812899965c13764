import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAUSAL_ORDER } from '../../src/log/compare.ts';
import { decodeStep, encodeStep, STEP_FIELDS, type StepValues } from '../../src/log/fields.ts';
import { RECORD_SCHEMAS } from '../../src/log/schema.ts';
import { ROOT } from '../helpers.ts';

describe('the step record’s one field table', () => {
  const keys = STEP_FIELDS.map((f) => f.key);

  it('the schema, the comparator’s causal order and docs/format.md all follow it', () => {
    const schema = RECORD_SCHEMAS.step as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(['kind', ...keys]);
    expect(schema.required).toEqual(['kind', ...keys]);
    // every field but the step number has its causal place (a new field must be given one)
    const causal = CAUSAL_ORDER.map((f) => f.field);
    expect(keys.filter((k) => k !== 'step' && !causal.includes(k))).toEqual([]);
    // the written spec's step table names exactly these fields
    const doc = readFileSync(join(ROOT, 'docs/format.md'), 'utf8');
    const table = doc.slice(doc.indexOf('### step'), doc.indexOf('### anomaly'));
    const documented = [...table.matchAll(/^\| ([a-zA-Z, ]+) \|/gm)].flatMap((m) => m[1].split(',').map((k) => k.trim())).filter((k) => k !== 'key' && k !== 'kind');
    expect(documented.sort()).toEqual([...keys].sort());
  });

  it('encodes in table order and decodes back, −0 and NaN included', () => {
    const values: StepValues = {
      step: 3, inputs: Int32Array.of(1, 2), targets: Int32Array.of(2, 3), loss: -0, lr: NaN, gradNormGlobal: 1.5,
      gradNormPerLayer: Float64Array.of(1, 2), gradNormPerTensor: Float64Array.of(0.5), clipFactor: 1,
      masks: null, params: Uint8Array.of(9), m: null, v: null, grads: null, optimT: 3, stateHash: 'f'.repeat(32),
    };
    const body = encodeStep(values);
    expect(Object.keys(body)).toEqual(['kind', ...keys]);
    const back = decodeStep(body);
    expect(Object.is(back.loss, -0)).toBe(true);
    expect(back.lr).toBeNaN();
    expect(Array.from(back.inputs)).toEqual([1, 2]);
    expect(Array.from(back.gradNormPerLayer)).toEqual([1, 2]);
    expect(back.params).toEqual(Uint8Array.of(9));
    expect(back.masks).toBeNull();
  });
});
