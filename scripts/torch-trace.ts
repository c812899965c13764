// Writes what PyTorch needs to train a weft run side by side (scripts/compare-torch.py):
// the initial state as safetensors, and per step the batch, the dropout masks and weft's loss,
// lr, clip factor and per-tensor gradient norms, as JSON.
// Usage: npx tsx scripts/torch-trace.ts <log.weft> <out-dir> [--steps K]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openLog } from '../src/log/reader.ts';
import { stateAt } from '../src/replay/state.ts';
import { stepMasks, stepView } from '../src/log/steps.ts';
import { encodeSafetensors } from '../src/replay/safetensors.ts';
import { exportMetadata, namedTensors } from '../src/replay/tensors.ts';

/** Writes the trace of the log's first `steps` steps (default: all) into `out`; the number of steps written. */
export function writeTorchTrace(logPath: string, out: string, steps?: number): number {
  mkdirSync(out, { recursive: true });
  const log = openLog(logPath);
  try {
    const h = log.header;
    const s0 = stateAt(log, h.startStep);
    writeFileSync(join(out, 'initial.safetensors'), encodeSafetensors(namedTensors(h, s0), exportMetadata(h, s0)));
    const last = Math.min(log.lastStep, h.startStep + (steps ?? log.lastStep));
    const rows = [];
    for (let n = h.startStep + 1; n <= last; n++) {
      const r = log.readStep(n);
      const v = stepView(r);
      const masks = stepMasks(h, r);
      rows.push({
        step: n,
        inputs: Array.from(v.inputs),
        targets: Array.from(v.targets),
        loss: v.loss,
        lr: v.lr,
        clipFactor: v.clipFactor,
        gradNorm: Object.fromEntries(h.params.map((p, i) => [p.name, v.gradNormPerTensor[i]])),
        // bit strings per site, '1' = kept
        masks: masks ? Object.fromEntries([...masks].map(([site, m]) => [site, Array.from(m).join('')])) : null,
      });
    }
    writeFileSync(join(out, 'trace.json'), JSON.stringify({ config: h.config, vocabSize: h.vocabSize, params: h.params, steps: rows }));
    const sN = stateAt(log, last);
    writeFileSync(join(out, 'final.safetensors'), encodeSafetensors(namedTensors(h, sN), exportMetadata(h, sN)));
    return rows.length;
  } finally {
    log.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { steps: { type: 'string' } } });
  const [logPath, out] = positionals;
  if (!logPath || !out) {
    process.stderr.write('usage: npx tsx scripts/torch-trace.ts <log.weft> <out-dir> [--steps K]\n');
    process.exit(2);
  }
  const n = writeTorchTrace(logPath, out, values.steps === undefined ? undefined : Number(values.steps));
  process.stdout.write(`wrote ${out}/initial.safetensors, final.safetensors and trace.json (${n} steps)\n`);
}
