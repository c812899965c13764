import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export { loadScenario, scenarioNames, SCENARIO_DIR } from '../engine/scenarios.ts';

/** True when the module at `url` is the script node/tsx was started with. */
export function isMainModule(url: string): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(fileURLToPath(url)) === realpathSync(argv1);
  } catch {
    return false;
  }
}
