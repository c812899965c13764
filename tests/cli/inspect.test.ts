import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, TINY_SETS, weft } from '../helpers.ts';
import { config, MICRO, recordRun, tempDir } from '../log/helpers.ts';
import { openLog } from '../../src/log/reader.ts';
import { exactNumber, stepColumns, stepRowFormat } from '../../src/cli/step-rows.ts';
import type { StepView } from '../../src/log/steps.ts';

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

  it('a log without its end record does not say why: killed, a failed write and a program that never closed it look alike', () => {
    const open = join(dir, 'unclosed.weft');
    const r = weft(['run', 'baseline', ...TINY_SETS, '--steps', '3', '--out', open, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const reader = openLog(open);
    const endAt = reader.endFrame!.offset;
    reader.close();
    writeFileSync(open, readFileSync(open).subarray(0, endAt)); // everything before the end record
    const i = weft(['inspect', open]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/no end record: the run stopped without closing its log \(killed, a failed write, or never closed\); 3 complete steps recovered \(resume: npx weft run baseline --resume --out .*unclosed\.weft\)/);
    // and verify says that what it reproduced is part of a run
    const v = weft(['verify', open]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toMatch(/unclosed\.weft: reproduced — 3 steps re-executed, every state hash equal — no end record: the run stopped without closing its log \(killed, a failed write, or never closed\), or is still being written: its 3 complete steps$/);
    expect(weft(['verify', log]).stdout.trim()).toMatch(/run\.weft: reproduced — 4 steps re-executed, every state hash equal$/);
    // its check does not claim an end record it has not got
    expect(i.stdout).toMatch(/checked: all \d+ frames intact, in order, keyframes agreeing with the steps/);
  });

  it('a torn record (a kill mid-write): inspect names where it starts, replay past the last whole step says the run stopped there', () => {
    const torn = join(dir, 'torn.weft');
    const reader = openLog(log);
    const f = reader.frames.find((x) => x.kind === 'step' && x.step === 3)!;
    reader.close();
    writeFileSync(torn, readFileSync(log).subarray(0, f.offset + 100));
    const i = weft(['inspect', torn]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(new RegExp(`; 2 complete steps recovered, 100 bytes of a torn record dropped at byte ${f.offset} \\(resume`));
    const r = weft(['replay', torn, '--to', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('weft replay: --to 3: the log holds steps 0…2 (its run stopped there: a torn record of 100 bytes follows)');
  });

  it('one layer and one head are said so (not "1 layers", "1 heads"), in run and inspect', () => {
    const one = join(dir, 'one.weft');
    const r = weft(['run', 'baseline', ...TINY_SETS, '--set', 'model.nLayers=1', '--set', 'model.nHeads=1', '--steps', '1', '--out', one]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/^baseline: 1 layer, d \d+, 1 head, dff/m);
    expect(weft(['inspect', one]).stdout).toMatch(/ · 1 layer, d \d+, 1 head · /);
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
    // one step of it too: shown, and the damage named, exit 3
    const one = weft(['inspect', bad, '--step', '2']);
    expect(one.code).toBe(3);
    expect(one.stdout).toMatch(/^step 2: loss/);
    expect(one.stderr).toMatch(/the index is damaged/);
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
    // a newer format is refused by its number, exit 2 (DESIGN.md), never called corrupt
    const v = weft(['inspect', join(dir, 'newer.weft')]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/newer\.weft: written by weft 0\.1\.0 \(log format 99 \(byte 8\)\); this weft \(0\.1\.0\) reads log formats 1–3: upgrade weft/);

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

/** A tiny CSV reader (no quoted cells: weft's column names and numbers have none). */
function parseCsv(text: string): { header: string[]; rows: string[][] } {
  expect(text.endsWith('\n')).toBe(true);
  expect(text).not.toMatch(/"/);
  const [header, ...rows] = text.slice(0, -1).split('\n').map((l) => l.split(','));
  return { header, rows };
}

/** A cell back to its double: String(x) and Number(s) round-trip every double, NaN and ±Infinity. */
const cellNumber = (s: string) => Number(s);
/** A --json number back to its double (NaN/Inf are strings there). */
const jsonNumberBack = (x: number | string) => (typeof x === 'number' ? x : Number(x));

const COLUMNS = ['step', 'loss', 'lr', 'gradNorm', 'emb', 'layer 1', 'layer 2', 'head', 'clipFactor'];

describe('weft inspect --steps: one row per step', () => {
  it('--csv: a header row and every value exactly the one --step N --json gives, for every step', () => {
    const r = weft(['inspect', log, '--steps', '--csv']);
    expect(r.code, r.stderr).toBe(0);
    const { header, rows } = parseCsv(r.stdout);
    expect(header).toEqual(COLUMNS);
    expect(rows.map((row) => row[0])).toEqual(['1', '2', '3', '4']);
    for (const row of rows) {
      expect(row).toHaveLength(COLUMNS.length);
      const st = weft(['inspect', log, '--step', row[0], '--json']);
      expect(st.code, st.stderr).toBe(0);
      const j = JSON.parse(st.stdout);
      const expected = [j.step, j.loss, j.lr, j.gradNorm.global, ...j.gradNorm.perLayer, j.clipFactor].map(jsonNumberBack);
      expect(row.map(cellNumber)).toEqual(expected);
      // and written as JavaScript writes the double: the shortest decimal that reads back as it
      expect(row).toEqual(expected.map((x) => String(x)));
    }
  });

  it('--json: JSON Lines, one object per step keyed by the CSV\'s columns, the same values; plain --steps is a table for people', () => {
    const csv = parseCsv(weft(['inspect', log, '--steps', '--csv']).stdout);
    const r = weft(['inspect', log, '--steps', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => {
      const o = JSON.parse(line);
      expect(Object.keys(o)).toEqual(COLUMNS);
      expect(Object.values(o)).toEqual(csv.rows[i].map(cellNumber));
    });
    const t = weft(['inspect', log, '--steps']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout.split('\n')[0]).toMatch(/^ +step +loss +lr +gradNorm +emb +layer 1 +layer 2 +head +clipFactor$/);
    expect(t.stdout.split('\n')[1]).toMatch(/^ +1 +\d\.\d{4} /);
    expect(t.stdout.trimEnd().split('\n')).toHaveLength(5);
  });

  it('NaN, ±Infinity and -0 are written so that they read back (CSV: NaN, Infinity, -Infinity; JSON: strings)', () => {
    const h = openLog(log).header;
    const cols = stepColumns(h);
    const v = { step: 9, loss: NaN, lr: -0, gradNormGlobal: Infinity, gradNormPerLayer: Float64Array.from([-Infinity, 0.1, 1e-300, 2 ** -1074]), clipFactor: 1 / 3 } as unknown as StepView;
    expect(stepRowFormat(cols, 'csv').row(v)).toBe('9,NaN,-0,Infinity,-Infinity,0.1,1e-300,5e-324,0.3333333333333333');
    const o = JSON.parse(stepRowFormat(cols, 'json').row(v));
    expect(o).toEqual({ step: 9, loss: 'NaN', lr: -0, gradNorm: 'Infinity', emb: '-Infinity', 'layer 1': 0.1, 'layer 2': 1e-300, head: 5e-324, clipFactor: 1 / 3 });
    expect(Object.is(o.lr, -0)).toBe(true);
    for (const x of [NaN, Infinity, -Infinity, -0, 0, 0.1, 1 / 3, Number.MAX_VALUE, Number.MIN_VALUE, 2.794169329877523]) expect(Object.is(Number(exactNumber(x)), x), String(x)).toBe(true);
  });

  const python = existsSync('/usr/bin/python3');
  it.skipIf(!python)('Python\'s csv module reads the CSV to the same doubles (NaN and ±Infinity too)', () => {
    const csv = weft(['inspect', log, '--steps', '--csv']).stdout;
    const h = openLog(log).header;
    const odd = stepRowFormat(stepColumns(h), 'csv').row({ step: 5, loss: NaN, lr: -0, gradNormGlobal: Infinity, gradNormPerLayer: Float64Array.from([-Infinity, 0.1, 1, 2]), clipFactor: 1 / 3 } as unknown as StepView);
    // each value as Python reads it, written back as the hex of its bits
    const script = 'import csv, struct, sys\nr = csv.DictReader(sys.stdin)\nprint(",".join(r.fieldnames))\nfor row in r: print(" ".join(struct.pack(">d", float(x)).hex() for x in row.values()))';
    const p = spawnSync('/usr/bin/python3', ['-c', script], { input: `${csv}${odd}\n`, encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    const [names, ...rows] = p.stdout.trimEnd().split('\n');
    expect(names.split(',')).toEqual(COLUMNS);
    const bits = (x: number) => Buffer.from(new Float64Array([x]).buffer).reverse().toString('hex');
    const js = [...parseCsv(csv).rows, odd.split(',')].map((row) => row.map((c) => bits(cellNumber(c))).join(' '));
    // (Python's NaN is 7ff8…0, as JavaScript's)
    expect(rows).toEqual(js);
    expect(rows[4].split(' ').slice(1, 5)).toEqual(['7ff8000000000000', '8000000000000000', '7ff0000000000000', 'fff0000000000000']);
  });

  it('streamed: `--steps --csv | head` ends as head closes the pipe (exit 0, no error), and the whole table streams through', () => {
    // ~130 bytes a row: 3000 rows are several 64 KiB chunks, more than a pipe holds
    const big = join(dir, 'long.weft');
    recordRun(big, config({ ...MICRO, steps: 3000, record: { mode: 'summary', keyframeEvery: 1000 } }));
    for (const format of ['--csv', '--json']) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" bin/weft.mjs inspect "${big}" --steps ${format} | head -3`], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')).toHaveLength(4);
    }
    const all = weft(['inspect', big, '--steps', '--csv']);
    expect(all.code, all.stderr).toBe(0);
    const { header, rows } = parseCsv(all.stdout);
    expect(header).toEqual(['step', 'loss', 'lr', 'gradNorm', 'emb', 'layer 1', 'head', 'clipFactor']);
    expect(rows.map((row) => Number(row[0]))).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    const l = openLog(big);
    expect(rows[2999].map(cellNumber)[1]).toBe(l.step(3000).loss);
    l.close();
  });

  it('the whole log is checked first: a flipped bit is exit 3 and no row (--no-check: the rows before it, then exit 3); a damaged index: the rows, exit 3; a run stopped on NaN/Inf has rows to its last complete step', () => {
    const bytes = readFileSync(log);
    const f = openLog(log);
    const last = f.frames.filter((x) => x.kind === 'step').at(-1)!;
    f.close();
    bytes[last.offset + 20] ^= 0x10; // in the last step: every row before it could be written first
    const bad = join(dir, 'flipped-last.weft');
    writeFileSync(bad, bytes);
    const r = weft(['inspect', bad, '--steps', '--csv']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(new RegExp(`^weft inspect: .*flipped-last\\.weft: corrupt at byte ${last.offset} \\(record \\d+\\): checksum mismatch`));
    // unchecked, the rows before the damage are written, then the damage is named: exit 3
    const unchecked = weft(['inspect', bad, '--steps', '--csv', '--no-check']);
    expect(unchecked.code).toBe(3);
    expect(parseCsv(unchecked.stdout).rows.map((row) => row[0])).toEqual(['1', '2', '3']);
    expect(unchecked.stderr.trim()).toMatch(/checksum mismatch/);
    // a damaged index (every frame intact): the rows, read by scanning, then the damage, exit 3
    const index = weft(['inspect', join(dir, 'bad-index.weft'), '--steps', '--csv']);
    expect(index.code).toBe(3);
    expect(parseCsv(index.stdout).rows).toHaveLength(4);
    expect(index.stderr.trim()).toMatch(/the index is damaged .*rewrites the index$/);
    const nan = join(dir, 'nan.weft');
    const n = weft(['inspect', nan, '--steps', '--csv']);
    expect(n.code, n.stderr).toBe(0);
    expect(parseCsv(n.stdout).rows.map((row) => row[0])).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('bad usage: one line, exit 2', () => {
    const both = weft(['inspect', log, '--steps', '--step', '2']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('weft inspect: --step N (one step) and --steps (every step) exclude each other');
    const csv = weft(['inspect', log, '--csv']);
    expect(csv.code).toBe(2);
    expect(csv.stderr.trim()).toBe('weft inspect: --csv goes with --steps (one row per step)');
    expect(weft(['inspect', log, '--steps', '--csv', '--json']).code).toBe(2);
    expect(weft(['inspect', '--help']).stdout).toMatch(/--json +JSON Lines: one object per step per line/);
  });
});
