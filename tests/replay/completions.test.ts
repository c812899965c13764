import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig, validateConfig, DEFAULT_CONFIG, type DeepPartial, type WeftConfig } from '../../src/config/config.ts';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { Recorder } from '../../src/engine/recorder.ts';
import { openLog } from '../../src/log/reader.ts';
import { completionTracks } from '../../src/replay/completions.ts';
import { modelStateAt, sample } from '../../src/replay/sample.ts';
import { tempDir } from '../log/helpers.ts';
import { weft } from '../helpers.ts';

const SMALL: DeepPartial<WeftConfig> = { model: { nLayers: 1, nHeads: 2, dModel: 16, dFF: 32, vocabSize: 0, contextLength: 16, dropout: 0 }, data: { sentences: 100, batchSize: 8 }, optim: { lr: 3e-2 } };
const cfg = (over: DeepPartial<WeftConfig>) => validateConfig(mergeConfig(mergeConfig(DEFAULT_CONFIG, SMALL), over));
const PROMPTS = ['The scientists published their', 'The professor'];

function record(path: string, c: WeftConfig): void {
  const t = new Trainer(c);
  const rec = Recorder.create(path, 'track-test', c, t, { overwrite: true });
  rec.finish(runTraining(t, c.steps, [rec]), t);
}

describe('weft sample --track: completions through training, from the probes', () => {
  const dir = tempDir();
  const path = join(dir, 'track.weft');
  const plain = join(dir, 'plain.weft');
  beforeAll(() => {
    record(path, cfg({ steps: 30, record: { mode: 'summary', keyframeEvery: 10 }, probe: { every: 3, sentences: ['The professor finished her lecture.'], links: [], prompts: PROMPTS } }));
    record(plain, cfg({ steps: 2, record: { mode: 'summary', keyframeEvery: 10 }, probe: { every: 3, sentences: ['The professor finished her lecture.'], links: [] } }));
  });

  it('each step is what sample gives there; the final words and the step they first appeared are the probes\'', () => {
    const log = openLog(path);
    const tracks = completionTracks(log);
    expect(tracks.map((t) => t.prompt)).toEqual(PROMPTS);
    for (const [i, t] of tracks.entries()) {
      expect(t.steps.map((s) => s.step)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
      for (const s of [t.steps[0], t.steps[5], t.steps[10]]) {
        const g = sample(modelStateAt(log, s.step), PROMPTS[i], { tokens: 8 });
        expect(s.continuation).toBe(g.continuation);
        expect(s.top.map((x) => [x.word, x.probability])).toEqual(g.generated[0].top.map((x) => [x.word, x.probability]));
      }
      expect(t.final).toBe(t.steps[10].continuation);
      const first = t.steps.findIndex((s) => s.continuation === t.final);
      expect(t.firstFinalStep).toBe(t.steps[first].step);
      let since = 10;
      while (since > 0 && t.steps[since - 1].continuation === t.final) since--;
      expect(t.finalSince).toBe(t.steps[since].step);
    }
    // the model learns in 30 steps: the words at step 0 are not the final ones (else the test says little)
    expect(tracks.some((t) => t.steps[0].continuation !== t.final)).toBe(true);
    log.close();
  });

  it('the command prints the changes and the final step; --json is the tracks; bad uses are one line, exit 2', () => {
    const log = openLog(path);
    const tracks = completionTracks(log);
    log.close();
    const r = weft(['sample', path, '--track']);
    expect(r.code, r.stderr).toBe(0);
    const t = tracks[0];
    expect(r.stdout).toContain(`"${PROMPTS[0]}" — greedy, 8 words, at 11 probe steps`);
    expect(r.stdout).toMatch(new RegExp(`^  step  0: ${t.steps[0].continuation.replace(/[.?*+()[\]\\]/g, '\\$&')} `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^  step 30: ${t.final.replace(/[.?*+()[\]\\]/g, '\\$&')} `, 'm'));
    expect(r.stdout).toContain(`its final words first at step ${t.firstFinalStep}`);
    // a step whose words equal the step before is left out
    const shown = [...r.stdout.split('"' + PROMPTS[1])[0].matchAll(/^ {2}step +(\d+):/gm)].map((m) => Number(m[1]));
    const changed = t.steps.filter((s, i) => i === 0 || i === t.steps.length - 1 || s.continuation !== t.steps[i - 1].continuation).map((s) => s.step);
    expect(shown).toEqual(changed);
    const j = weft(['sample', path, '--track', '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual(JSON.parse(JSON.stringify(tracks)));
    // the recorded completion is what `weft sample --at N --tokens 8` prints, to the bit (JSON keeps a float64 exactly)
    const s15 = tracks[0].steps.find((s) => s.step === 15)!;
    const cli = weft(['sample', path, '--at', '15', '--prompt', PROMPTS[0], '--tokens', '8', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const g = JSON.parse(cli.stdout) as { generated: { id: number; top: { id: number; probability: number }[] }[] };
    expect(g.generated.map((x) => x.id)).toEqual(s15.tokens);
    expect(g.generated[0].top.map((x) => [x.id, x.probability])).toEqual(s15.top.map((x) => [x.id, x.probability]));
    const none = weft(['sample', plain, '--track']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no completion probes \(record them with --set 'probe\.prompts=/);
    const at = weft(['sample', path, '--track', '--at', '3']);
    expect(at.code).toBe(2);
    expect(at.stderr).toMatch(/--at does not apply/);
  });
});
