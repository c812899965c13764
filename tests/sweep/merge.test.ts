// weft sweep merge checks every log it carries over, as the sweep itself does, before it writes
// anything: a damaged log is exit 3, another run's log or one its manifest misdescribes exit 2.
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SweepManifest } from '../../src/sweep/manifest.ts';
import { weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const SWEEP = ['sweep', 'baseline', '--model', 'tiny', '--steps', '3', '--seeds', '1-2', '--quiet'];

describe('weft sweep merge', () => {
  const dir = tempDir();
  const s1 = join(dir, 's1');
  const s2 = join(dir, 's2');
  const log1 = join(s1, 'runs', 'seed=1.weft');
  const manifest1 = join(s1, 'sweep.json');
  let pristineLog: Buffer;
  let pristineManifest: string;
  let n = 0;
  /** Merges into a fresh folder; the folder must not be made when the merge is refused. */
  const merge = () => {
    const out = join(dir, `merged-${++n}`);
    const r = weft(['sweep', 'merge', s1, s2, '--out', out]);
    if (r.code !== 0) expect(existsSync(out), r.stderr).toBe(false);
    return { ...r, out };
  };
  const restore = () => {
    writeFileSync(log1, pristineLog);
    writeFileSync(manifest1, pristineManifest);
  };

  beforeAll(() => {
    for (const [i, d] of [[1, s1], [2, s2]] as const) {
      const r = weft([...SWEEP, '--shard', `${i}/2`, '--out', d]);
      expect(r.code, r.stderr).toBe(0);
    }
    pristineLog = readFileSync(log1);
    pristineManifest = readFileSync(manifest1, 'utf8');
  });

  it('merges intact shards, their logs carried over', () => {
    const r = merge();
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(r.out, 'runs', 'seed=1.weft')).equals(pristineLog)).toBe(true);
  });

  it('a damaged log is named with its damage, exit 3', () => {
    const bad = Buffer.from(pristineLog);
    bad[bad.length >> 1] ^= 0x10; // inside a keyframe: the index still opens the log, the checksum pass finds it
    writeFileSync(log1, bad);
    const r = merge();
    restore();
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^weft sweep: ${escape(log1)}: corrupt at byte \\d+ \\(record \\d+\\): checksum mismatch.*\\n$`));
  });

  it('a missing log, exit 3', () => {
    const m = JSON.parse(pristineManifest) as SweepManifest;
    m.runs[0].log = 'runs/gone.weft';
    writeFileSync(manifest1, JSON.stringify(m));
    const r = merge();
    restore();
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/runs\/gone\.weft: no such file, though .*sweep\.json says complete after 3 steps/);
  });

  it('another run’s log in a run’s place, exit 2, naming the difference', () => {
    copyFileSync(join(s2, 'runs', 'seed=2.weft'), log1);
    const r = merge();
    restore();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^weft sweep: ${escape(log1)}: not the sweep's run seed=1: its seed is 2, the run's is 1 \\(.*\\n$`));
  });

  it('a log its manifest entry misdescribes (final state hash, steps), exit 2', () => {
    const m = JSON.parse(pristineManifest) as SweepManifest;
    const hash = m.runs[0].stateHash!;
    m.runs[0].stateHash = `${hash[0] === '0' ? '1' : '0'}${hash.slice(1)}`;
    writeFileSync(manifest1, JSON.stringify(m));
    let r = merge();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${log1}: the log is complete after 3 steps, state hash ${hash}, but ${manifest1} says complete after 3 steps, state hash ${m.runs[0].stateHash}`);
    m.runs[0].stateHash = hash;
    m.runs[0].steps = 2;
    writeFileSync(manifest1, JSON.stringify(m));
    r = merge();
    restore();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`but ${manifest1} says complete after 2 steps`);
  });

  it('a failed run’s log is not carried over (nor checked): the merged sweep runs it again', () => {
    const m = JSON.parse(pristineManifest) as SweepManifest;
    Object.assign(m.runs[0], { status: 'failed', error: 'weft run: killed' });
    writeFileSync(manifest1, JSON.stringify(m));
    writeFileSync(log1, pristineLog.subarray(0, 100)); // what a failed run may leave
    const r = merge();
    restore();
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(r.out, 'runs', 'seed=1.weft'))).toBe(false);
    expect(statSync(join(r.out, 'runs', 'seed=2.weft')).size).toBeGreaterThan(0);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
