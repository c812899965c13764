import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The weft package's root directory (where its package.json, scenarios/ and snapshots/ are),
 * found from this module whether it runs from src/ or compiled in dist/src/.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'weft') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('weft: cannot find the package root (package.json named weft) above its modules');
    dir = up;
  }
}

export const PACKAGE_ROOT = packageRoot();

/** True when this module runs compiled (dist/), false when it runs from its TypeScript sources. */
export const COMPILED = import.meta.url.endsWith('.js');
