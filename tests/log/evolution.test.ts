// Format evolution within version 1: a later revision may add optional fields to any record;
// this reader accepts them, keeps them on the records it returns, and reads, replays and
// verifies the log as before. (A change an older reader must not read past bumps the version:
// tests/log/format.test.ts and fuzz.test.ts cover the refusal.)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/log/crc32.ts';
import { pack, unpack } from '../../src/log/msgpack.ts';
import { openLog } from '../../src/log/reader.ts';
import { stateAt } from '../../src/replay/state.ts';
import { verifyLog } from '../../src/replay/verify.ts';
import { config, MICRO, recordRun, tempDir } from './helpers.ts';
import { ROOT, weft } from '../helpers.ts';
import { checkLog } from '../../src/replay/check.ts';

/** The log's frames re-written by `change` (the index and trailer dropped: offsets move). */
function rewritten(src: Uint8Array, change: (rec: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  const out: Uint8Array[] = [src.subarray(0, 16)];
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let o = 16; o + 8 <= src.length;) {
    const len = dv.getUint32(o, true);
    if (o + 8 + len > src.length) break;
    const rec = unpack(src.subarray(o + 8, o + 8 + len)) as Record<string, unknown>;
    o += 8 + len;
    if (rec.kind === 'index') break;
    const body = pack(change(rec));
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, body.length, true);
    new DataView(head.buffer).setUint32(4, crc32(body), true);
    out.push(head, body);
  }
  return Buffer.concat(out);
}

describe('logs from a later revision of format 1', () => {
  for (const mode of ['full', 'compact'] as const) {
    it(`${mode}: fields this version does not know are kept, and the log reads, replays and verifies`, () => {
      const dir = tempDir();
      const path = join(dir, `${mode}.weft`);
      recordRun(path, config({ ...MICRO, steps: 4, record: { mode, keyframeEvery: 2 } }));
      const later = join(dir, `${mode}-later.weft`);
      writeFileSync(later, rewritten(readFileSync(path), (rec) => ({ ...rec, addedLater: { note: `a ${String(rec.kind)} field from a later revision`, bytes: Uint8Array.of(1, 2, 3) } })));
      const log = openLog(later);
      try {
        expect(log.indexed).toBe(false);
        expect((log.header as unknown as { addedLater: { note: string } }).addedLater.note).toBe('a header field from a later revision');
        expect((log.readStep(3) as unknown as { addedLater: { bytes: Uint8Array } }).addedLater.bytes).toEqual(Uint8Array.of(1, 2, 3));
        log.verifyAll();
        const original = openLog(path);
        for (let n = 0; n <= 4; n++) expect(stateAt(log, n).stateHash).toBe(stateAt(original, n).stateHash);
        original.close();
        expect(verifyLog(log)).toMatchObject({ ok: true, stepsChecked: 4 });
      } finally {
        log.close();
      }
    });
  }

  it('the header names the architecture; one this weft does not know is a clear error, not a guess', () => {
    const dir = tempDir();
    const path = join(dir, 'arch.weft');
    recordRun(path, config({ ...MICRO, steps: 2 }));
    const log = openLog(path);
    expect(log.header.arch).toBe('gpt');
    log.close();
    // a newer weft's log of an architecture this one does not know: refused by its version, exit 2
    const mlp = join(dir, 'mlp.weft');
    const newer = (rec: Record<string, unknown>) => {
      if (rec.kind !== 'header') return rec;
      const config = rec.config as { model: Record<string, unknown> };
      return { ...rec, weft: '0.9.0', arch: 'mlp', config: { ...config, model: { ...config.model, arch: 'mlp' } } };
    };
    writeFileSync(mlp, rewritten(readFileSync(path), newer));
    for (const cmd of ['verify', 'inspect', 'replay']) {
      const r = weft([cmd, mlp, ...(cmd === 'replay' ? ['--to', '1'] : [])]);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr.trim()).toMatch(new RegExp(`^weft ${cmd}: .*mlp\\.weft: written by weft 0\\.9\\.0 \\(log format 1\\); this weft \\(0\\.1\\.0\\) reads log formats 1–3 and not header\\.config\\.model\\.arch: .*: upgrade weft$`));
    }
    // the same from this weft is damage: it never writes an architecture it does not know
    const same = join(dir, 'same.weft');
    writeFileSync(same, rewritten(readFileSync(path), (rec) => ({ ...newer(rec), ...(rec.kind === 'header' ? { weft: rec.weft } : {}) })));
    expect(weft(['verify', same]).code).toBe(3);
    // and a header whose arch disagrees with its config's
    const split = join(dir, 'split.weft');
    writeFileSync(split, rewritten(readFileSync(path), (rec) => (rec.kind === 'header' ? { ...rec, arch: 'mlp' } : rec)));
    const s = weft(['verify', split]);
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(/the header names architecture "mlp", its config "gpt"/);
  });

  it('a header whose config breaks the config schema is named as invalid, field and all', () => {
    const dir = tempDir();
    const path = join(dir, 'cfg.weft');
    recordRun(path, config({ ...MICRO, steps: 1 }));
    const bad = join(dir, 'cfg-bad.weft');
    writeFileSync(bad, rewritten(readFileSync(path), (rec) => (rec.kind === 'header' ? { ...rec, config: { ...(rec.config as object), steps: -1 } } : rec)));
    expect(() => openLog(bad)).toThrow(/corrupt at byte 16 \(record 0\): invalid record: header\.config\.steps: must be >= 0/);
  });
});

describe('logs written by earlier wefts (tests/fixtures, made by make-fixtures.sh and never remade)', () => {
  const fixtures = readdirSync(join(ROOT, 'tests/fixtures')).filter((f) => f.endsWith('.weft')).sort();

  it('there are fixtures of every release so far, every recording mode, probes (format 2), evaluations and completions (format 3), a task, f32acc and gpt-rms', () => {
    expect(fixtures).toEqual(expect.arrayContaining(['v0.1.0-micro-full.weft', 'main-2026-12-01-micro-full.weft', 'main-2026-12-01-micro-compact.weft', 'main-2026-12-01-micro-summary.weft', 'main-2026-12-01-micro-probes.weft',
      'main-2026-12-02-micro-eval.weft', 'main-2026-12-02-micro-modular.weft', 'main-2026-12-02-micro-f32acc.weft', 'main-2026-12-02-micro-gpt-rms.weft']));
  });

  it.each(fixtures)('%s reads whole, replays every step and verifies', (name) => {
    const log = openLog(join(ROOT, 'tests/fixtures', name));
    try {
      checkLog(log);
      for (let n = log.header.startStep; n <= log.lastStep; n++) expect(stateAt(log, n).stateHash).toBe(n === 0 ? log.readKeyframe(0).stateHash : log.readStep(n).stateHash);
      const v = verifyLog(log);
      expect(v.ok, JSON.stringify(v.mismatch)).toBe(true);
      expect(v.stepsChecked).toBe(log.lastStep);
    } finally {
      log.close();
    }
  });
});
