import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';
import { openLog } from '../../src/log/reader.ts';
import { stateAt } from '../../src/replay/state.ts';
import { fourierSpectrum } from '../../src/replay/fourier.ts';

const expectOneLine = (stderr: string, pattern: RegExp) => {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).toMatch(pattern);
};

describe('weft fourier', () => {
  const dir = tempDir();
  const summary = join(dir, 'grokking.weft');
  const full = join(dir, 'grokking-full.weft');
  const story = join(dir, 'baseline.weft');
  // the grokking scenario on the tiny model (p 31, d 32), 4 steps, keyframes at 0, 2, 4
  const run = ['run', 'grokking', '--model', 'tiny', '--steps', '4', '--set', 'record.keyframeEvery=2', '--quiet'];
  beforeAll(() => {
    for (const [out, extra] of [[summary, []], [full, ['--record', 'full']]] as const) {
      const r = weft([...run, ...extra, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', '2', '--out', story, '--quiet']).code).toBe(0);
  });

  it('--json: the spectrum of tok_emb.weight rows 0…30 at the step, as the replayed state gives it', () => {
    const r = weft(['fourier', summary, '--at', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ tensor: 'tok_emb.weight', top: 5, step: 2, p: 31, dModel: 32 });
    expect(j.energies).toHaveLength(15);
    expect(j.keyFrequencies).toHaveLength(5);
    const log = openLog(summary);
    try {
      const t = log.header.params.find((q) => q.name === 'tok_emb.weight')!;
      const rows = stateAt(log, 2).params.subarray(t.offset, t.offset + 31 * 32);
      // the same numbers, bit for bit (JSON round-trips doubles), and Parseval on the rows
      expect(j).toMatchObject(fourierSpectrum(rows, 31, 32, 5));
      let norm2 = 0;
      for (const v of rows) norm2 += v * v;
      expect(Math.abs((j.constant + j.total) / norm2 - 1)).toBeLessThan(1e-12);
    } finally {
      log.close();
    }
    // the default step is the last; --top changes how many key frequencies
    expect(JSON.parse(weft(['fourier', summary, '--json']).stdout).step).toBe(4);
    expect(JSON.parse(weft(['fourier', summary, '--top', '3', '--json']).stdout).keyFrequencies).toHaveLength(3);
  });

  it('text: every frequency with its energy and share, the key ones marked, and the top-K share', () => {
    const r = weft(['fourier', summary]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^the residues' embedding after step 4 \(tok_emb.weight rows 0…30, d 32\) in the Fourier basis of Z_31\n/);
    expect(r.stdout.match(/^ +\d+ +\S+ +\d+\.\d%/gm)).toHaveLength(15);
    expect(r.stdout.match(/ key$/gm)).toHaveLength(5);
    expect(r.stdout).toMatch(/\nthe top 5 frequencies hold \d+\.\d% of the non-constant energy \(an even spread: 33\.3%\); key frequencies: (\d+, ){4}\d+\n$/);
  });

  it('--track: at the keyframes by default, every N steps with --every, the same numbers from a summary and a full log', () => {
    const t = weft(['fourier', summary, '--track', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const j = JSON.parse(t.stdout);
    expect(j).toMatchObject({ tensor: 'tok_emb.weight', p: 31, dModel: 32, top: 5, source: 'keyframes', every: null });
    expect(j.points.map((q: { step: number }) => q.step)).toEqual([0, 2, 4]);
    // the evaluations (every 50, and the last step) beside them
    expect(j.points.map((q: { heldOutAccuracy: number | null }) => q.heldOutAccuracy === null)).toEqual([false, true, false]);
    const every = (log: string) => JSON.parse(weft(['fourier', log, '--track', '--every', '1', '--json']).stdout);
    const fromSummary = every(summary); // each step re-executed from its keyframe
    const fromFull = every(full); // one walk forwards through the recorded steps
    expect(fromSummary.points.map((q: { step: number }) => q.step)).toEqual([0, 1, 2, 3, 4]);
    expect(fromFull.points).toEqual(fromSummary.points);
    expect(fromSummary.points.filter((q: { step: number }) => q.step % 2 === 0)).toEqual(j.points);
    expect(fromSummary).toMatchObject({ source: 'every', every: 1 });
    expect(weft(['fourier', summary, '--track', '--every', '2']).stdout).toMatch(/at 3 steps \(every 2 steps\), 0…4\n/);
    const text = weft(['fourier', summary, '--track']);
    expect(text.stdout).toMatch(/at 3 steps \(the log's keyframes\), 0…4\n/);
    expect(text.stdout).toMatch(/\n +0 +\d+\.\d% +(\d+ ){4}\d+ +\d+\.\d% +\d+\.\d%\n +2 +\d+\.\d% +(\d+ ){4}\d+ +– +–\n/);
    expect(text.stdout).toMatch(/\ntop-5 share \d+\.\d% at step 0 → \d+\.\d% at step 4 \(highest \d+\.\d%, step \d\); key frequencies at the end: (\d+, ){4}\d+\n$/);
  });

  it('bad input: one line, exit 2 — not a modular run, --at beyond the log, --top past ⌊p/2⌋, flags that do not go together', () => {
    const cases: [string[], RegExp][] = [
      [['fourier', story], /baseline\.weft: the Fourier spectrum is of a modular task's residue embedding; this log is a run on the story corpus/],
      [['fourier', summary, '--at', '9'], /--at 9: the log holds steps 0…4/],
      [['fourier', summary, '--top', '16'], /--top 16: Z_31 has frequencies 1…15/],
      [['fourier', summary, '--track', '--at', '2'], /--track reads every chosen step: --at does not go with it/],
      [['fourier', summary, '--every', '2'], /--every goes with --track/],
    ];
    for (const [args, pattern] of cases) {
      const r = weft(args);
      expect(r.code, args.join(' ')).toBe(2);
      expectOneLine(r.stderr.replace(/\nusage: .*\n?$/, ''), pattern); // a usage error adds the usage line
    }
    const help = weft(['fourier', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^weft fourier <log.weft> \[--at N\] \[--top K\] \[--json\]/);
    expect(weft(['--help']).stdout).toMatch(/\n  fourier +a modular run's embedding in the Fourier basis of Z_p/);
  });
});
