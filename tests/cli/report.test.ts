// weft report checks the log it draws, whole, as inspect and verify do: a damaged record anywhere
// (a keyframe the page would never read, too) is exit 3 naming its offset, and no page is
// written. Without --html the page goes beside the log.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

describe('weft report', () => {
  const dir = tempDir();
  const log = join(dir, 'run.weft');

  it('writes the page beside the log by default, and refuses to replace it without --force', () => {
    expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', '4', '--set', 'record.keyframeEvery=2', '--out', log, '--quiet']).code).toBe(0);
    const page = join(dir, 'run.html');
    const again = weft(['report', log]);
    // the run wrote run.html already: refused, then replaced with --force
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/run\.html/);
    const forced = weft(['report', log, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout.trim()).toBe(`report: ${page}`);
    expect(readFileSync(page, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('a damaged keyframe (a record the page does not draw) is exit 3 with its offset, and no page', () => {
    const reader = openLog(log);
    const kf = reader.frames.filter((f) => f.kind === 'keyframe').at(-1)!;
    reader.close();
    const bytes = readFileSync(log);
    bytes[kf.offset + 8 + 20] ^= 1;
    const damaged = join(dir, 'damaged.weft');
    writeFileSync(damaged, bytes);
    const out = join(dir, 'damaged-report.html');
    const r = weft(['report', damaged, '--html', out]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(new RegExp(`corrupt at byte ${kf.offset}`));
    expect(existsSync(out)).toBe(false);
  });
});
