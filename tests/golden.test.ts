// Golden snapshots of training numerics: every scenario against snapshots/<scenario>.golden.json.
// A mismatch names the first divergent step, field and layer; `npx vitest run tests/golden.test.ts -u`
// or `npx weft snapshot update` accepts an intended change (never in CI).
import { describe, expect, it } from 'vitest';
import { loadScenario, scenarioNames } from '../src/cli/scenarios.ts';
import '../src/golden/vitest.ts';

describe('goldens', () => {
  it.each(scenarioNames())('%s matches its golden', async (name) => {
    expect(await loadScenario(name)).toMatchGolden();
  });
});
