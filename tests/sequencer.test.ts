import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './helpers.ts';
import { SLOW_FIRST } from './sequencer.ts';

it('the files started first exist (a renamed one would silently start last again)', () => {
  for (const f of SLOW_FIRST) expect(existsSync(join(ROOT, f)), f).toBe(true);
  expect(new Set(SLOW_FIRST).size).toBe(SLOW_FIRST.length);
});
