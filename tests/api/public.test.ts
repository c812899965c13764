// The user's journey through weft's public API only (`import … from 'weft'`, the package's own
// exports): define a scenario, train and record it, replay a step, verify the log against
// re-execution, diff it against a run with one setting changed, export a state.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defineScenario, diff, encodeSafetensors, mergeConfig, openLog, Recorder, runTraining, stateAt, TINY, Trainer, validateConfig, verifyLog,
} from 'weft';
import { tempDir } from '../log/helpers.ts';

describe('the public API', () => {
  const dir = tempDir();
  const scenario = defineScenario({ name: 'api-lesson', description: 'a tiny run through the public API', config: { steps: 6, model: TINY, record: { mode: 'full', keyframeEvery: 3 } } });

  function record(path: string, lr: number) {
    const config = validateConfig(mergeConfig(scenario.config, { optim: { lr } }));
    const trainer = new Trainer(config);
    const recorder = Recorder.create(path, scenario.name, config, trainer);
    const hashes: string[] = [];
    const result = runTraining(trainer, config.steps, [recorder, { onStep: (r) => hashes.push(r.stateHash) }]);
    recorder.finish(result, trainer);
    return { result, hashes, params: Float32Array.from(trainer.params) };
  }

  it('trains, records, replays, verifies, diffs and exports', () => {
    const a = join(dir, 'a.weft');
    const b = join(dir, 'b.weft');
    const runA = record(a, 1e-3);
    record(b, 2e-3);
    expect(runA.result).toMatchObject({ reason: 'completed', stepsDone: 6 });

    const log = openLog(a);
    try {
      // the state after step 4, rebuilt from the log, is the trained one (its hash) …
      expect(stateAt(log, 4).stateHash).toBe(runA.hashes[3]);
      // … and after the last step, bit for bit the trainer's parameters
      expect(Buffer.from(stateAt(log, 6).params.buffer, stateAt(log, 6).params.byteOffset, 4 * runA.params.length).equals(Buffer.from(runA.params.buffer))).toBe(true);
      expect(verifyLog(log)).toMatchObject({ ok: true, stepsChecked: 6, mismatch: null });

      const other = openLog(b);
      try {
        const d = diff(log, other);
        expect(d.identical).toBe(false);
        // the learning rate differs: the runs part at step 1's update, in the weights
        expect(d.firstDivergence).toMatchObject({ step: 1 });
        expect(d.config.map((c) => c.key)).toContain('optim.lr');
      } finally {
        other.close();
      }

      const s = stateAt(log, 2);
      const st = encodeSafetensors(log.header.params.map((p) => ({ name: p.name, shape: p.shape, data: s.params.subarray(p.offset, p.offset + p.size) })), { step: '2' });
      const headerLen = Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true));
      expect(Object.keys(JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + headerLen))))).toContain(log.header.params[0].name);
    } finally {
      log.close();
    }
  });
});
