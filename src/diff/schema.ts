/**
 * JSON Schema of `weft diff --json` output. Numbers are JSON numbers (exact doubles); NaN and
 * ±Inf appear as the strings "NaN", "Infinity", "-Infinity".
 */
const num = { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] };
const numOrNull = { anyOf: [num, { type: 'null' }] };
const run = {
  type: 'object',
  required: ['file', 'scenario', 'steps', 'mode'],
  additionalProperties: false,
  properties: {
    file: { type: 'string' },
    scenario: { type: 'string' },
    steps: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2, description: '[first state, last step]' },
    mode: { enum: ['full', 'compact', 'summary'] },
  },
};

const heldOutAt = {
  type: 'object',
  required: ['step', 'lossA', 'lossB', 'lossDiff'],
  additionalProperties: false,
  properties: { step: { type: 'integer', minimum: 0 }, lossA: num, lossB: num, lossDiff: num },
} as const;

export const DIFF_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'weft diff --json',
  type: 'object',
  required: ['a', 'b', 'identical', 'firstDivergence', 'config', 'steps', 'notCompared'],
  additionalProperties: false,
  properties: {
    a: run,
    b: run,
    identical: { type: 'boolean' },
    firstDivergence: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['step', 'stream', 'field', 'tensor', 'index', 'a', 'b', 'causes'],
          additionalProperties: false,
          properties: {
            step: { type: 'integer', minimum: 0, description: '0 = the initial state' },
            stream: { enum: ['config', 'weight', 'batch', 'mask', 'loss', 'gradient', 'moment', 'clip', 'lr', 'hash'] },
            field: { type: 'string' },
            tensor: { type: ['string', 'null'] },
            index: { type: ['integer', 'null'] },
            a: { anyOf: [num, { type: 'string' }, { type: 'null' }] },
            b: { anyOf: [num, { type: 'string' }, { type: 'null' }] },
            causes: { type: 'array', items: { type: 'string' } },
          },
        },
      ],
    },
    config: {
      type: 'array',
      items: { type: 'object', required: ['key', 'a', 'b'], additionalProperties: false, properties: { key: { type: 'string' }, a: {}, b: {} } },
    },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['step', 'lossA', 'lossB', 'lossDiff', 'clipFactorA', 'clipFactorB', 'layers'],
        additionalProperties: false,
        properties: {
          step: { type: 'integer' },
          lossA: num, lossB: num, lossDiff: num, clipFactorA: num, clipFactorB: num,
          layers: {
            anyOf: [
              { type: 'null' },
              {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['layer', 'gradNormA', 'gradNormB', 'gradNormRatio', 'paramDist', 'paramDistRel'],
                  additionalProperties: false,
                  properties: { layer: { type: 'string' }, gradNormA: num, gradNormB: num, gradNormRatio: num, paramDist: numOrNull, paramDistRel: numOrNull },
                },
              },
            ],
          },
        },
      },
    },
    notCompared: { type: 'array', items: { type: 'string' } },
    heldOut: {
      description: 'present when both logs have evaluations (config.eval): where their held-out loss curves part and where they end',
      type: 'object',
      required: ['commonSteps', 'parts', 'end'],
      additionalProperties: false,
      properties: {
        commonSteps: { type: 'integer', minimum: 0, description: 'evaluation steps both logs have' },
        parts: { anyOf: [{ type: 'null' }, heldOutAt], description: 'the first common evaluation step where the held-out loss differs, bit for bit; null: never' },
        end: {
          anyOf: [{ type: 'null' }, { ...heldOutAt, required: [...heldOutAt.required, 'accuracyA', 'accuracyB'], properties: { ...heldOutAt.properties, accuracyA: numOrNull, accuracyB: numOrNull } }],
          description: 'the last common evaluation step; accuracies null when the task has none',
        },
      },
    },
  },
} as const;
