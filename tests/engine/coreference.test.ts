// The coreference scenario's claims, checked on a shortened run of the story's model (its first
// 200 steps are the full run's first 200: the learning rate is constant).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openLog } from '../../src/log/reader.ts';
import { LINK_FORMED, trackLink } from '../../src/replay/track.ts';
import { LINKS_FORM } from '../../scenarios/coreference.ts';
import { weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

const STEPS = Math.max(...LINKS_FORM.map((l) => l.steps));

describe('the coreference scenario', () => {
  const path = join(tempDir(), 'coreference.weft');
  beforeAll(() => {
    const r = weft(['run', 'coreference', '--steps', String(STEPS), '--out', path, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each(LINKS_FORM)('$text', ({ link, steps }) => {
    const log = openLog(path);
    const t = trackLink(log, link);
    log.close();
    expect(t.source).toBe('probes');
    const formed = t.heads.filter((h) => h.firstAbove !== null && h.firstAbove <= steps);
    expect(formed.length, `no head's ${link} passed ${LINK_FORMED} by step ${steps}`).toBeGreaterThan(0);
    // and before training none did: the link is learned
    expect(Math.max(...t.heads.map((h) => h.series[0]))).toBeLessThan(LINK_FORMED);
  });
});
