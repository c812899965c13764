import { configDifferences } from '../diff/config-diff.ts';
import { architectureOf } from '../model/model.ts';
import { layerName } from '../layout/table.ts';
import type { GoldenFile, GoldenStep, Tolerance } from './capture.ts';
import { floatOf, type GoldenFloat } from './format.ts';
import { causalRank } from '../log/compare.ts';

export interface FieldMismatch {
  step: number;
  field: string;
  layer: string | null;
  expected: string;
  actual: string;
}

export interface ToleranceUse {
  step: number;
  field: string;
  layer: string | null;
  /** the difference, in the tolerance's own terms, and the fraction of the allowance it used */
  difference: string;
  usedFraction: number;
}

export interface GoldenReport {
  scenario: string;
  pass: boolean;
  first: FieldMismatch | null;
  /** the first mismatch in a layer-specific field (layer named), when it differs from `first` */
  firstLayer: FieldMismatch | null;
  mismatches: FieldMismatch[];
  tolerancesUsed: ToleranceUse[];
  notes: string[];
}

/** Layer names of a config's parameter tensors, from its architecture's table (names depend not on V). */
function tensorLayers(g: GoldenFile): Map<string, string> {
  const m = g.config.model;
  return new Map(architectureOf(m.arch).table({ ...m, vocabSize: Math.max(2, m.vocabSize) }).tensors.map((t) => [t.name, layerName(t.layer, m.nLayers)]));
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
function ulpDistance(a: number, b: number): number {
  f64[0] = a;
  let x = i64[0];
  f64[0] = b;
  let y = i64[0];
  // map sign-magnitude to a monotone integer line
  if (x < 0n) x = -9223372036854775808n - x;
  if (y < 0n) y = -9223372036854775808n - y;
  const d = x > y ? x - y : y - x;
  return Number(d);
}

function fmt(g: GoldenFloat): string {
  return `${g.value} (0x${g.hex})`;
}

/** null when equal (or within tolerance, recorded in `used`), else a mismatch. */
function compareFloat(step: number, field: string, layer: string | null, e: GoldenFloat, a: GoldenFloat, tol: Tolerance | undefined, used: ToleranceUse[]): FieldMismatch | null {
  if (e.hex === a.hex) return null;
  const mismatch = { step, field, layer, expected: fmt(e), actual: fmt(a) };
  const x = floatOf(e);
  const y = floatOf(a);
  // a NaN's sign and payload are no part of its value: engines (and V8's JIT against its
  // WebAssembly) give different ones for the same operation; where NaN appears is compared
  if (Number.isNaN(x) && Number.isNaN(y)) return null;
  // NaN and Inf must sit exactly where the golden has them, tolerance or not
  if (!tol || !Number.isFinite(x) || !Number.isFinite(y)) return mismatch;
  const diff = Math.abs(x - y);
  const fractions: [number, string][] = [];
  if (tol.abs !== undefined) fractions.push([diff / tol.abs, `|Δ| ${diff.toExponential(2)} (allowed ${tol.abs})`]);
  if (tol.rel !== undefined) fractions.push([diff / Math.abs(x) / tol.rel, `relative ${(diff / Math.abs(x)).toExponential(2)} (allowed ${tol.rel})`]);
  if (tol.ulp !== undefined) fractions.push([ulpDistance(x, y) / tol.ulp, `${ulpDistance(x, y)} ulps (allowed ${tol.ulp})`]);
  const best = fractions.sort((p, q) => p[0] - q[0])[0];
  if (!best || !(best[0] <= 1)) return mismatch;
  used.push({ step, field, layer, difference: best[1], usedFraction: best[0] });
  return null;
}

function compareHashes(step: number, field: string, e: Record<string, string> | null, a: Record<string, string> | null, layers: Map<string, string>, tol: Tolerance | undefined, used: ToleranceUse[]): FieldMismatch[] {
  if (!e || !a) return e === a ? [] : [{ step, field, layer: null, expected: e ? 'present' : 'absent', actual: a ? 'present' : 'absent' }];
  const out: FieldMismatch[] = [];
  for (const name of Object.keys(e)) {
    if (e[name] === a[name]) continue;
    const layer = layers.get(name) ?? null;
    if (tol?.ignore) {
      used.push({ step, field: `${field}.${name}`, layer, difference: 'hash differs (ignored)', usedFraction: 1 });
      continue;
    }
    out.push({ step, field: `${field}.${name}`, layer, expected: e[name], actual: a[name] ?? 'absent' });
  }
  return out;
}

function compareStep(e: GoldenStep, a: GoldenStep, tols: Record<string, Tolerance>, layers: Map<string, string>, used: ToleranceUse[]): FieldMismatch[] {
  const s = e.step;
  const out: (FieldMismatch | null)[] = [
    compareFloat(s, 'loss', null, e.loss, a.loss, tols.loss, used),
    compareFloat(s, 'lr', null, e.lr, a.lr, tols.lr, used),
    compareFloat(s, 'gradNorm.global', null, e.gradNorm.global, a.gradNorm.global, tols['gradNorm.global'], used),
    ...Object.keys(e.gradNorm.perLayer).map((l) => (a.gradNorm.perLayer[l] ? compareFloat(s, `gradNorm.perLayer`, l, e.gradNorm.perLayer[l], a.gradNorm.perLayer[l], tols['gradNorm.perLayer'], used) : { step: s, field: 'gradNorm.perLayer', layer: l, expected: fmt(e.gradNorm.perLayer[l]), actual: 'absent' })),
    compareFloat(s, 'clipFactor', null, e.clipFactor, a.clipFactor, tols.clipFactor, used),
    ...Object.keys(e.paramNorm).map((l) => (a.paramNorm[l] ? compareFloat(s, 'paramNorm', l, e.paramNorm[l], a.paramNorm[l], tols.paramNorm, used) : null)),
  ];
  const hashes = [
    ...compareHashes(s, 'params', e.params, a.params, layers, tols.params, used),
    ...compareHashes(s, 'm', e.m, a.m, layers, tols.m, used),
    ...compareHashes(s, 'v', e.v, a.v, layers, tols.v, used),
  ];
  let masks: FieldMismatch | null = null;
  if (JSON.stringify(e.masks) !== JSON.stringify(a.masks)) {
    if (tols.masks?.ignore) used.push({ step: s, field: 'masks', layer: null, difference: 'hash differs (ignored)', usedFraction: 1 });
    else masks = { step: s, field: 'masks', layer: null, expected: e.masks ? `${e.masks.hash} (${e.masks.kept}/${e.masks.total} kept)` : 'none', actual: a.masks ? `${a.masks.hash} (${a.masks.kept}/${a.masks.total} kept)` : 'none' };
  }
  // in the causal order verify and diff use (log/compare.ts): masks are an input of the step,
  // the gradient comes before the update it feeds; within a field, tensors in table order
  const base = (field: string) => (/^(params|m|v)\./.test(field) ? field.slice(0, field.indexOf('.')) : field);
  return [masks, ...out, ...hashes].filter((x): x is FieldMismatch => x !== null).sort((x, y) => causalRank(base(x.field)) - causalRank(base(y.field)));
}

/** The golden's evaluations against the capture's, exactly: every figure of every split at every step it holds. */
function compareEvaluations(expected: GoldenFile, actual: GoldenFile): FieldMismatch[] {
  const e = expected.evaluations ?? [];
  const a = new Map((actual.evaluations ?? []).map((x) => [x.step, x]));
  const out: FieldMismatch[] = [];
  for (const x of e) {
    const y = a.get(x.step);
    if (!y) {
      out.push({ step: x.step, field: 'eval', layer: null, expected: 'recorded', actual: 'missing' });
      continue;
    }
    for (const split of ['heldOut', 'train'] as const) {
      const f = `eval.${split}`;
      for (const k of ['examples', 'counted'] as const) if (x[split][k] !== y[split][k]) out.push({ step: x.step, field: `${f}.${k}`, layer: null, expected: String(x[split][k]), actual: String(y[split][k]) });
      const loss = compareFloat(x.step, `${f}.loss`, null, x[split].loss, y[split].loss, undefined, []);
      if (loss) out.push(loss);
      const ea = x[split].accuracy;
      const aa = y[split].accuracy;
      if (ea === null || aa === null) {
        if (ea !== aa) out.push({ step: x.step, field: `${f}.accuracy`, layer: null, expected: ea ? fmt(ea) : 'none', actual: aa ? fmt(aa) : 'none' });
      } else {
        const acc = compareFloat(x.step, `${f}.accuracy`, null, ea, aa, undefined, []);
        if (acc) out.push(acc);
      }
    }
  }
  for (const y of actual.evaluations ?? []) if (!e.some((x) => x.step === y.step)) out.push({ step: y.step, field: 'eval', layer: null, expected: 'absent', actual: 'recorded' });
  return out;
}

/** Compares a fresh capture with the golden. Exact by default; the golden's tolerances apply per field. */
export function compareGolden(expected: GoldenFile, actual: GoldenFile): GoldenReport {
  const notes: string[] = [];
  const used: ToleranceUse[] = [];
  const mismatches: FieldMismatch[] = [];
  const tols = expected.tolerances ?? {};
  if (expected.configHash !== actual.configHash) {
    const d = configDifferences(expected.config, actual.config);
    mismatches.push({ step: 0, field: 'config', layer: null, expected: d.map((c) => `${c.key}=${JSON.stringify(c.a)}`).join(', ') || expected.configHash, actual: d.map((c) => `${c.key}=${JSON.stringify(c.b)}`).join(', ') || actual.configHash });
  }
  if (expected.numericMode !== actual.numericMode) notes.push(`numeric mode changed: ${expected.numericMode} → ${actual.numericMode}`);
  if (expected.weft !== actual.weft) notes.push(`golden written by weft ${expected.weft}, checked with ${actual.weft}`);
  const layers = tensorLayers(expected);
  const byStep = new Map(actual.steps.map((s) => [s.step, s]));
  for (const e of expected.steps) {
    const a = byStep.get(e.step);
    if (!a) {
      mismatches.push({ step: e.step, field: 'step', layer: null, expected: 'recorded', actual: actual.anomaly ? `run stopped at step ${actual.anomaly.step} (NaN/Inf)` : 'missing' });
      break;
    }
    mismatches.push(...compareStep(e, a, tols, layers, used));
  }
  for (const a of actual.steps) {
    if (!expected.steps.some((e) => e.step === a.step)) mismatches.push({ step: a.step, field: 'step', layer: null, expected: expected.anomaly ? `run stopped at step ${expected.anomaly.step}` : 'absent', actual: 'recorded' });
  }
  if (JSON.stringify(expected.anomaly) !== JSON.stringify(actual.anomaly)) {
    const f = (x: GoldenFile['anomaly']) => (x ? `NaN/Inf at step ${x.step} in ${x.stage}${x.tensor ? ` (${x.tensor})` : ''}` : 'none');
    mismatches.push({ step: actual.anomaly?.step ?? expected.anomaly?.step ?? 0, field: 'anomaly', layer: null, expected: f(expected.anomaly), actual: f(actual.anomaly) });
  }
  mismatches.push(...compareEvaluations(expected, actual));
  mismatches.sort((p, q) => p.step - q.step);
  const first = mismatches[0] ?? null;
  const firstLayer = first && !first.layer ? (mismatches.find((m) => m.step === first.step && m.layer) ?? null) : null;
  return { scenario: expected.scenario, pass: mismatches.length === 0, first, firstLayer, mismatches, tolerancesUsed: used, notes };
}

export function formatReport(r: GoldenReport, acceptCommand: string): string {
  const lines: string[] = [];
  if (r.pass) {
    lines.push(`golden ${r.scenario}: matches${r.tolerancesUsed.length ? ` (within declared tolerances on ${r.tolerancesUsed.length} values)` : ' bit for bit'}`);
  } else {
    const f = r.first!;
    lines.push(`golden ${r.scenario}: run diverged at step ${f.step}, field ${f.field}${f.layer ? `, ${f.layer}` : ''}`);
    if (r.firstLayer) lines.push(`  first divergent layer: ${r.firstLayer.layer} (${r.firstLayer.field})`);
    lines.push(`  ${r.mismatches.length} field${r.mismatches.length === 1 ? ' differs' : 's differ'} in all; the first:`);
    lines.push(`  ${'step'.padEnd(5)} ${'field'.padEnd(40)} expected → actual`);
    for (const m of r.mismatches.slice(0, 8)) lines.push(`  ${String(m.step).padEnd(5)} ${`${m.field}${m.layer && !m.field.includes(m.layer) ? ` [${m.layer}]` : ''}`.padEnd(40)} ${m.expected} → ${m.actual}`);
    if (r.mismatches.length > 8) lines.push(`  … ${r.mismatches.length - 8} more`);
    lines.push(`  if the change is intended, accept it: ${acceptCommand}`);
  }
  for (const t of r.tolerancesUsed.slice(0, 5)) lines.push(`  tolerance used: step ${t.step} ${t.field}${t.layer ? ` [${t.layer}]` : ''}: ${t.difference}, ${(100 * t.usedFraction).toFixed(0)}% of it`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}
