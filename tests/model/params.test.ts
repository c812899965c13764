import { describe, expect, it } from 'vitest';
import { FABRIC, TINY, DEFAULT_CONFIG } from '../../src/config/config.ts';
import { buildParamTable } from '../../src/model/gpt.ts';
import { type ModelConfig } from '../../src/model/params.ts';
import { paramTableOf, tensorAt } from '../../src/layout/table.ts';

describe('the parameter table', () => {
  const table = buildParamTable({ ...DEFAULT_CONFIG.model, ...FABRIC, vocabSize: 56 } as ModelConfig);

  it('tensorAt finds the tensor of every index (binary search), as a scan of the table does', () => {
    const scan = (i: number) => table.tensors.find((t) => i >= t.offset && i < t.offset + t.size) ?? null;
    for (let i = 0; i < table.total; i += 97) {
      const t = scan(i)!;
      expect(tensorAt(table, i), `index ${i}`).toEqual({ tensor: t, index: i - t.offset });
    }
    // every tensor's first and last element, and past the end
    for (const t of table.tensors) {
      expect(tensorAt(table, t.offset)!.tensor.name).toBe(t.name);
      expect(tensorAt(table, t.offset + t.size - 1)).toEqual({ tensor: t, index: t.size - 1 });
    }
    expect(tensorAt(table, table.total)).toBeNull();
    expect(tensorAt(table, -1)).toBeNull();
  });

  it('a log header’s list of tensors gives back the same table', () => {
    const tiny = buildParamTable({ ...DEFAULT_CONFIG.model, ...TINY } as ModelConfig);
    const again = paramTableOf(tiny.tensors.map((t) => ({ ...t, shape: [...t.shape] })));
    expect(again.total).toBe(30144);
    expect(again.nLayerGroups).toBe(4);
    expect(again.tensors).toEqual(tiny.tensors);
    expect(again.byName.get('head.weight')).toEqual(tiny.byName.get('head.weight'));
  });
});
