import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';
import { openLog } from '../../src/log/reader.ts';

const dir = tempDir();
const log = join(dir, 'run.weft');

describe('weft run writes a log; weft inspect reads it', () => {
  it('run → log + report, inspect summary and one step as JSON', async () => {
    const r = weft(['run', 'baseline', ...TINY_SETS, '--steps', '4', '--out', log, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/log: .*run\.weft/);
    expect(JSON.parse(readFileSync(join(dir, 'run.report.json'), 'utf8')).summary.steps).toBe(4);
    const s = weft(['inspect', log, '--json']);
    expect(s.code, s.stderr).toBe(0);
    const j = JSON.parse(s.stdout);
    expect(j).toMatchObject({ scenario: 'baseline', mode: 'summary', steps: { first: 1, last: 4, count: 4 }, complete: true, end: { reason: 'completed', steps: 4 } });
    expect(j.bytesPerStep).toBeGreaterThan(0);

    const st = weft(['inspect', log, '--step', '2', '--json']);
    expect(st.code, st.stderr).toBe(0);
    const step = JSON.parse(st.stdout);
    expect(Object.keys(step)).toEqual(['step', 'loss', 'lr', 'gradNorm', 'clipFactor', 'inputs', 'targets']);
    expect(step.inputs).toHaveLength(8);
    expect(step.inputs[0]).toHaveLength(16);
    expect(Object.keys(step.gradNorm.perTensor)[0]).toBe('tok_emb.weight');
    // exact doubles: the JSON number is the recorded float64
    const reader = openLog(log);
    const { stepView } = await import('../../src/log/steps.ts');
    expect(step.loss).toBe(stepView(reader.readStep(2)).loss);
    reader.close();
    expect(weft(['inspect', log]).stdout).toMatch(/steps 1…4 \(4\)/);
  });

  it('inspect checks what it summarizes: a flipped bit mid-log is exit 3 naming its frame; --no-check says it skipped', () => {
    const bytes = readFileSync(log);
    const f = openLog(log);
    const mid = f.frames[Math.floor(f.frames.length / 2)];
    f.close();
    bytes[mid.offset + 20] ^= 0x10;
    const bad = join(dir, 'flipped.weft');
    writeFileSync(bad, bytes);
    const r = weft(['inspect', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(new RegExp(`^weft inspect: .*flipped\\.weft: corrupt at byte ${mid.offset} \\(record \\d+\\): checksum mismatch`));
    const skipped = weft(['inspect', bad, '--no-check']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/not checked \(--no-check\)/);
    const good = weft(['inspect', log, '--json']);
    expect(JSON.parse(good.stdout).framesChecked).toBe(f.frames.length);
  });

  it('a damaged index: the summary (read by scanning the intact frames), the damage named with its offset, exit 3; a log killed while closing says so', () => {
    const bytes = readFileSync(log);
    const at = bytes.readDoubleLE(bytes.length - 8);
    bytes[at + 12] ^= 0x02;
    const bad = join(dir, 'bad-index.weft');
    writeFileSync(bad, bytes);
    const r = weft(['inspect', bad]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/steps 1…4 \(4\)[\s\S]*checked: all \d+ frames intact, the index damaged/);
    expect(r.stderr.trim()).toMatch(new RegExp(`^weft inspect: .*bad-index\\.weft: corrupt at byte ${at}: the index is damaged .*every frame is intact .*--resume --out .*rewrites the index$`));
    const j = weft(['inspect', bad, '--json']);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout).index).toMatchObject({ damagedAt: at });
    // cut after the end record, before the index: a kill while closing
    const f = openLog(log);
    const endFrame = f.frames.find((x) => x.kind === 'end')!;
    f.close();
    const closing = join(dir, 'closing.weft');
    writeFileSync(closing, readFileSync(log).subarray(0, endFrame.end));
    const c = weft(['inspect', closing]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/ended: completed after 4 steps\n  no index: the run was killed while closing its log; every frame is intact \(npx weft run baseline --resume --out .*closing\.weft writes the index\)/);
    expect(JSON.parse(weft(['inspect', closing, '--json']).stdout).index).toBe('missing');
  });

  it('bad input: one line and the exit code DESIGN.md gives', () => {
    const missing = weft(['inspect', join(dir, 'nope.weft')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.weft: no such file/);

    const notLog = join(dir, 'notes.txt');
    writeFileSync(notLog, 'hello, this is not a log at all');
    const n = weft(['inspect', notLog]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/not a weft log/);

    const bytes = readFileSync(log);
    const newer = Buffer.from(bytes);
    newer.writeUInt32LE(99, 8);
    writeFileSync(join(dir, 'newer.weft'), newer);
    const v = weft(['inspect', join(dir, 'newer.weft')]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/format version 99 .* newer than this weft reads \(2\); upgrade weft/);

    const flipped = Buffer.from(bytes);
    flipped[200] ^= 0x10; // inside the header record
    writeFileSync(join(dir, 'flipped.weft'), flipped);
    const c = weft(['inspect', join(dir, 'flipped.weft')]);
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/corrupt at byte 16 \(record 0\): checksum mismatch/);
    expect(c.stderr.trim().split('\n')).toHaveLength(1);

    expect(weft(['inspect', log, '--step', '99']).code).toBe(2);
    const isDir = weft(['inspect', dir]);
    expect(isDir.code).toBe(2);
    expect(isDir.stderr.trim()).toBe(`weft inspect: ${dir}: is a directory, not a log`);
  });

  it('the step that hit NaN/Inf can be inspected: where it broke, and the last complete step', () => {
    const nan = join(dir, 'nan.weft');
    const r = weft(['run', 'exploding-gradients', '--model', 'tiny', '--steps', '24', '--out', nan, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(weft(['inspect', nan, '--json']).stdout);
    const a = j.anomalies[0];
    expect(a.step).toBe(8);
    const st = weft(['inspect', nan, '--step', String(a.step)]);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(new RegExp(`^stopped: NaN/Inf at step 8, first in the loss`));
    expect(st.stdout).toMatch(/the step did not complete.*step 7 is the last complete one/);
  });
});
