// The one-line descriptions of a run (the run's header on stderr, and the viewer's and reports'
// line from a log) name what the model and optimizer are: an attention-only model has no MLP
// width or activation to name, and AdamW's weight decay is what sets it apart — a weight-decay
// ablation used to print the very same header as the run it ablates.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY } from '../../src/config/config.ts';
import { describeRun as headerOf } from '../../src/cli/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { openLog } from '../../src/log/reader.ts';
import { describeRun as lineOf } from '../../src/report/series.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

const dir = tempDir();

describe('a run described in one line', () => {
  it('an attention-only model: "attention only", no dff, no activation; AdamW: its weight decay, 0 too', () => {
    for (const wd of [1, 0]) {
      const c = config({ model: { ...TINY, mlp: false }, steps: 1, optim: { kind: 'adamw', lr: 1e-3, weightDecay: wd }, data: { sentences: 200 } });
      const header = headerOf('x', c, new Trainer(c));
      expect(header).toMatch(/· attention only\n/);
      expect(header).not.toMatch(/dff|gelu/);
      expect(header).toMatch(new RegExp(`^  adamw lr 0\\.001 · weight decay ${wd} · batch`, 'm'));
      const log = join(dir, `wd${wd}.weft`);
      recordRun(log, c);
      const l = openLog(log);
      const line = lineOf(l);
      l.close();
      expect(line).toMatch(new RegExp(`attention only · adamw lr 0\\.001 · weight decay ${wd} ·`));
      expect(line).not.toMatch(/gelu/);
    }
  });

  it('a model with an MLP keeps its dff and activation; Adam without weight decay names none', () => {
    const c = config({ model: TINY, steps: 1, data: { sentences: 200 } });
    const header = headerOf('x', c, new Trainer(c));
    expect(header).toMatch(/dff 128, V \d+, T \d+ · [\d,]+ parameters · gelu\n  adam lr [\d.e-]+ · batch/);
    expect(header).not.toMatch(/weight decay/);
  });
});
