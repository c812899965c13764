// The viewer's page: fetches from the server's read-only API (view/server.ts) and draws; all
// numbers are the log's, exactly (tables keep each value's exact form in data-value).
import { overviewCharts, patternChart, runColor, trackChart, type NamedRun } from '../../report/charts.ts';
import type { AttentionView, CompletionsView, Divergence, LayerMetrics, Overview, PatternsView, Quantity, RunInfo, StepDetail, TracksView } from '../types.ts';
import { ApiFailure, el, get, num } from './api.ts';
import { drawAttention } from './attention.ts';
import { drawCompletions } from './completion.ts';
import { drawLineChart } from './charts.ts';
import { drawHeatMap } from './heatmap.ts';
import { drawStep, QUANTITIES } from './step.ts';

interface State {
  runs: RunInfo[];
  /** ids of the runs shown, in the order chosen; the first is the one the heat map and attention show */
  selected: number[];
  overviews: Map<number, Overview>;
  layers: Map<number, LayerMetrics>;
  /** each run's completion probes, fetched once */
  completions: Map<number, CompletionsView>;
  divergences: Divergence[];
  /** the steps the scrubber moves over (the first run's), and where it is */
  steps: number[];
  step: number;
  heatMetric: LayerMetrics['metrics'][number]['id'];
  histOf: Quantity;
}

const S: State = { runs: [], selected: [], overviews: new Map(), layers: new Map(), completions: new Map(), divergences: [], steps: [], step: 0, heatMetric: 'gradNorm', histOf: 'w' };
const $ = (id: string) => document.getElementById(id)!;
const CHART_W = 470;

function status(text: string): void {
  $('status').textContent = text;
}

/** A failure shown where it happened, as a banner naming what went wrong (never a blank page). */
function failure(where: HTMLElement, e: unknown): void {
  const p = e instanceof ApiFailure ? e.body.problem : undefined;
  const msg = e instanceof Error ? e.message : String(e);
  where.replaceChildren(el('div', { class: 'banner error', 'data-offset': p?.offset ?? null }, msg, p ? el('br') : null, p ? p.readable : null));
}

function colorOf(id: number): string {
  return runColor(Math.max(0, S.selected.indexOf(id)));
}

function drawRuns(): void {
  const list = S.runs.map((r) => {
    const box = el('input', { type: 'checkbox', class: 'run-select', 'data-run': r.id, checked: S.selected.includes(r.id), disabled: !r.meta });
    box.addEventListener('change', () => {
      S.selected = box.checked ? [...S.selected, r.id] : S.selected.filter((x) => x !== r.id);
      void refresh();
    });
    return el('label', { class: 'run' }, box, el('span', { class: 'swatch', style: `background:${S.selected.includes(r.id) ? colorOf(r.id) : '#ccc'}` }), el('b', { text: r.name }), ` ${r.description}`);
  });
  $('runs').replaceChildren(...list);
  const banners = S.runs.filter((r) => r.problem).map((r) =>
    el('div', { class: `banner ${r.problem!.kind === 'open' || r.problem!.kind === 'torn' ? 'warn' : 'error'}`, 'data-run': r.id, 'data-offset': r.problem!.offset },
      el('b', { text: `${r.name}: ` }), r.problem!.message, el('br'), `still readable: ${r.problem!.readable}`));
  $('banners').replaceChildren(...banners);
}

function namedRuns(): NamedRun[] {
  return S.selected.flatMap((id) => {
    const o = S.overviews.get(id);
    const r = S.runs.find((x) => x.id === id)!;
    if (!o) return [];
    const series = { ...o.series, loss: o.series.loss.map(num), lr: o.series.lr.map(num), clip: o.series.clip.map(num), gradGlobal: o.series.gradGlobal.map(num) };
    const e = o.evaluations;
    const nums = (xs: number[] | null) => (xs ? xs.map(num) : null);
    const evals = e ? { steps: e.steps, heldOutLoss: e.heldOutLoss.map(num), trainLoss: e.trainLoss.map(num), heldOutAccuracy: nums(e.heldOutAccuracy), trainAccuracy: nums(e.trainAccuracy) } : null;
    return [{ name: r.name, color: colorOf(id), series, clipMaxNorm: r.meta!.clipMaxNorm, anomalies: o.anomalies.map((a) => a.step), evals }];
  });
}

function drawOverview(): void {
  const d = S.divergences.find((x) => x.first);
  const marker = d?.first ? { step: d.first.step, label: `diverge @ ${d.first.step}` } : null;
  const into = $('charts');
  into.replaceChildren();
  for (const spec of overviewCharts(namedRuns(), marker)) {
    const box = el('div', { class: 'chart', id: `chart-${spec.id}` });
    into.append(box);
    drawLineChart(box, spec, CHART_W, (step) => void setStep(step));
  }
}

function drawCompare(): void {
  const box = $('compare');
  if (S.selected.length < 2) return void box.replaceChildren();
  box.replaceChildren(el('h2', { text: 'Compare' }), ...S.divergences.map((d) => {
    const a = S.runs.find((r) => r.id === d.a)!.name;
    const b = S.runs.find((r) => r.id === d.b)!.name;
    if (d.identical) return el('p', { class: 'divergence identical', text: `${a} and ${b} are identical: every compared number equal, bit for bit` });
    if (!d.first) return el('p', { class: 'divergence', text: `${a} and ${b} differ in length only` });
    const f = d.first;
    const jump = el('button', { class: 'jump', 'data-step': f.step, text: `open step ${f.step} in both` });
    jump.addEventListener('click', () => void setStep(f.step));
    return el('div', { class: 'divergence', 'data-step': f.step },
      el('p', {}, el('b', { text: `${a} vs ${b}: first divergence at step ${f.step}` }), `, in the ${f.stream}: `, el('code', { text: f.where }), ` (${a}: ${f.a}, ${b}: ${f.b})`),
      el('p', { class: 'cause', text: `cause: ${f.causes.join('; ')}` }), jump);
  }));
}

async function drawHeat(): Promise<void> {
  const id = S.selected[0];
  const box = $('heat-map');
  if (id === undefined) return void box.replaceChildren();
  const o = S.overviews.get(id)!;
  let metric: { title: string; values: (number | string)[][] | null; why: string | null };
  if (S.heatMetric === 'gradNorm') metric = { title: 'gradient L2 norm ‖g‖ (before clipping)', values: o.series.perLayer, why: null };
  else {
    let l = S.layers.get(id);
    if (!l) {
      box.replaceChildren(el('p', { class: 'muted', text: `replaying ${o.series.steps.length} steps to compute every layer's ‖Δw‖, ‖w‖ and optimizer buffers…` }));
      try {
        l = await get<LayerMetrics>(`/api/runs/${id}/layers`);
      } catch (e) {
        return failure(box, e);
      }
      S.layers.set(id, l);
    }
    metric = l.metrics.find((m) => m.id === S.heatMetric)!;
  }
  if (!metric.values) return void box.replaceChildren(el('p', { class: 'muted', text: metric.why ?? 'not available for this log' }));
  drawHeatMap(box, { title: `${S.runs.find((r) => r.id === id)!.name}: ${metric.title}`, rows: o.series.layerNames, steps: o.series.steps, values: metric.values }, 980, (step) => void setStep(step));
}

let stepRequest = 0;
async function drawSteps(): Promise<void> {
  const ticket = ++stepRequest;
  const n = S.step;
  const slider = $('step-slider') as HTMLInputElement;
  slider.value = String(Math.max(0, S.steps.indexOf(n)));
  ($('step-input') as HTMLInputElement).value = String(n);
  const box = $('step-detail');
  const panels = S.selected.map((id) => el('div', { class: 'step-run', 'data-run': id }, el('p', { class: 'muted', text: `replaying to step ${n}…` })));
  box.replaceChildren(...panels);
  await Promise.all(S.selected.map(async (id, i) => {
    const run = S.runs.find((r) => r.id === id)!;
    try {
      const d = await get<StepDetail>(`/api/runs/${id}/steps/${n}`);
      if (ticket === stepRequest) drawStep(panels[i], run, d, S.histOf, colorOf(id));
    } catch (e) {
      if (ticket === stepRequest) failure(panels[i], e);
    }
  }));
  if (ticket === stepRequest) await drawSays(ticket);
  if (ticket === stepRequest) await drawAttentionPanel();
}

/** The first run's completion probes at the scrubbed step (nothing without them). */
async function drawSays(ticket: number): Promise<void> {
  const id = S.selected[0];
  const box = $('says');
  if (id === undefined) return void box.replaceChildren();
  let c = S.completions.get(id);
  if (!c) {
    try {
      c = await get<CompletionsView>(`/api/runs/${id}/completions`);
    } catch (e) {
      return failure(box, e);
    }
    S.completions.set(id, c);
  }
  if (ticket === stepRequest) drawCompletions(box, c, S.step);
}

let stepTimer: ReturnType<typeof setTimeout> | undefined;
async function setStep(n: number, debounceMs = 0): Promise<void> {
  if (!S.steps.includes(n)) {
    $('step-error').textContent = `step ${n} is not in this log (it holds ${S.steps[0]}…${S.steps[S.steps.length - 1]})`;
    return;
  }
  $('step-error').textContent = '';
  S.step = n;
  ($('step-input') as HTMLInputElement).value = String(n);
  clearTimeout(stepTimer);
  if (debounceMs) stepTimer = setTimeout(() => void drawSteps(), debounceMs);
  else await drawSteps();
}

async function drawAttentionPanel(): Promise<void> {
  const run = S.runs.find((r) => r.id === S.selected[0]);
  const section = $('attention');
  if (!run?.meta?.hasWords) return void (section.hidden = true);
  section.hidden = false;
  // the selects count from 1, as people do; the API from 0
  const layer = Number(($('att-layer') as HTMLSelectElement).value) - 1;
  const head = Number(($('att-head') as HTMLSelectElement).value) - 1;
  const sentence = ($('att-sentence') as HTMLInputElement).value;
  const box = $('att-view');
  try {
    const a = await get<AttentionView>(`/api/runs/${run.id}/attention?step=${S.step}&layer=${layer}&head=${head}&sentence=${encodeURIComponent(sentence)}`);
    drawAttention(box, a);
  } catch (e) {
    failure(box, e);
  }
}

/** The first run's tracked links over training, when its log has probes; a click opens that step. */
async function drawTracks(run: RunInfo): Promise<void> {
  const box = $('att-tracks');
  box.replaceChildren();
  if (!run.meta?.hasWords) return;
  let t: TracksView;
  try {
    t = await get<TracksView>(`/api/runs/${run.id}/tracks`);
  } catch (e) {
    return failure(box, e);
  }
  for (const link of t.links) {
    const chart = el('div', { class: 'chart wide', id: `chart-track-${link.link.replace('->', '-')}` });
    const s = link.strongest;
    const show = el('button', { class: 'show-strongest', text: `show layer ${s.layer + 1} · head ${s.head + 1}` });
    show.addEventListener('click', () => {
      ($('att-layer') as HTMLSelectElement).value = String(s.layer + 1);
      ($('att-head') as HTMLSelectElement).value = String(s.head + 1);
      ($('att-sentence') as HTMLInputElement).value = link.sentence;
      void drawAttentionPanel();
    });
    box.append(chart, el('p', { class: 'muted small track-strongest' }, s.final > 0.5 ? `strongest at the end: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)}); its link passed 0.5 first at step ${s.firstAbove} ` : `no head above 0.5 at the end; the strongest: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)}) `, show));
    drawLineChart(chart, trackChart(link), CHART_W * 2 + 20, (step) => void setStep(step));
  }
  for (const p of t.problems) box.append(el('p', { class: 'muted', text: p }));
}

/**
 * The first run's heads scored by the named patterns (induction, previous-token) through
 * training, on a run of the induction task (the server sends none for others); a click opens
 * that step.
 */
async function drawPatterns(run: RunInfo): Promise<void> {
  const section = $('patterns');
  const box = $('pattern-charts');
  box.replaceChildren();
  let p: PatternsView;
  try {
    p = await get<PatternsView>(`/api/runs/${run.id}/patterns`);
  } catch (e) {
    section.hidden = false;
    return failure(box, e);
  }
  section.hidden = p.patterns.length + p.problems.length === 0;
  // one run's heads: the first ticked (another run's, ticked alone)
  if (p.patterns.length) box.append(el('p', { class: 'pattern-run', text: `${run.name}'s heads${S.selected.length > 1 ? ' (the first run ticked; tick another alone for its heads)' : ''}` }));
  for (const t of p.patterns) {
    const chart = el('div', { class: 'chart wide', id: `chart-pattern-${t.pattern}` });
    const s = t.strongest;
    box.append(chart, el('p', { class: 'muted small pattern-strongest', text: s.firstAbove !== null ? `${t.pattern} head: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)} at the end); its score passed 0.5 first at step ${s.firstAbove}` : `no ${t.pattern} head: the highest at the end is layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)}), never above 0.5` }));
    drawLineChart(chart, patternChart(t), CHART_W * 2 + 20, (step) => void setStep(step));
  }
  for (const problem of p.problems) box.append(el('p', { class: 'muted', text: problem }));
}

function setUpAttention(run: RunInfo): void {
  const m = run.meta!;
  const options = (n: number, pick: number) => Array.from({ length: n }, (_, i) => el('option', { value: i + 1, selected: i + 1 === pick, text: String(i + 1) }));
  $('att-layer').replaceChildren(...options(m.nLayers, Math.min(4, m.nLayers)));
  $('att-head').replaceChildren(...options(m.nHeads, Math.min(7, m.nHeads)));
  const sentence = $('att-sentence') as HTMLInputElement;
  if (!sentence.value) sentence.value = m.defaultSentence ?? '';
  const story = $('att-story');
  story.textContent = `Layer ${Math.min(4, m.nLayers)} · Head ${Math.min(7, m.nHeads)}, the story's`;
}

/** Draws everything for the runs chosen. */
async function refresh(): Promise<void> {
  drawRuns();
  status('reading the logs…');
  try {
    await Promise.all(S.selected.filter((id) => !S.overviews.has(id)).map(async (id) => S.overviews.set(id, await get<Overview>(`/api/runs/${id}/overview`))));
  } catch (e) {
    failure($('banners'), e);
    return;
  }
  // the overview knows about damage the header alone could not show
  for (const id of S.selected) {
    const r = S.runs.find((x) => x.id === id)!;
    r.problem = S.overviews.get(id)!.problem ?? r.problem;
  }
  drawRuns();
  S.divergences = [];
  if (S.selected.length >= 2) {
    status('comparing the runs…');
    const [a, ...others] = S.selected;
    S.divergences = await Promise.all(others.map((b) => get<Divergence>(`/api/diff?a=${a}&b=${b}`)));
  }
  drawCompare();
  drawOverview();
  const primary = S.runs.find((r) => r.id === S.selected[0]);
  if (!primary) {
    status('choose a run');
    return;
  }
  const o = S.overviews.get(primary.id)!;
  const steps = [primary.meta!.startStep, ...o.series.steps];
  const changed = steps.length !== S.steps.length || steps[0] !== S.steps[0];
  S.steps = steps;
  const slider = $('step-slider') as HTMLInputElement;
  slider.max = String(steps.length - 1);
  if (changed || !steps.includes(S.step)) S.step = steps[steps.length - 1];
  setUpAttention(primary);
  void drawTracks(primary);
  void drawPatterns(primary);
  status('');
  await drawHeat();
  await drawSteps();
}

function layout(): void {
  const metrics: [State['heatMetric'], string][] = [['gradNorm', 'gradient norm ‖g‖'], ['updateRatio', 'update-to-weight ratio ‖Δw‖/‖w‖'], ['mNorm', '‖m‖'], ['vNorm', '‖v‖'], ['stepSize', 'effective step size ‖Δw‖/‖g‖']];
  const heatSelect = el('select', { id: 'heat-metric' }, ...metrics.map(([v, t]) => el('option', { value: v, text: t })));
  heatSelect.addEventListener('change', () => {
    S.heatMetric = heatSelect.value as State['heatMetric'];
    void drawHeat();
  });
  const histSelect = el('select', { id: 'hist-q' }, ...QUANTITIES.map((x) => el('option', { value: x.q, text: x.label })));
  histSelect.addEventListener('change', () => {
    S.histOf = histSelect.value as Quantity;
    void drawSteps();
  });
  const slider = el('input', { id: 'step-slider', type: 'range', min: 0, max: 0, value: 0 });
  slider.addEventListener('input', () => void setStep(S.steps[Number(slider.value)], 150));
  const prev = el('button', { id: 'step-prev', title: 'previous step (←)', text: '◀' });
  const next = el('button', { id: 'step-next', title: 'next step (→)', text: '▶' });
  const move = (d: number) => {
    const i = S.steps.indexOf(S.step) + d;
    if (i >= 0 && i < S.steps.length) void setStep(S.steps[i], 100);
  };
  prev.addEventListener('click', () => move(-1));
  next.addEventListener('click', () => move(1));
  const input = el('input', { id: 'step-input', type: 'number', min: 0 });
  input.addEventListener('change', () => void setStep(Number(input.value)));
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowLeft') move(-1);
    if (e.key === 'ArrowRight') move(1);
  });
  const sentence = el('input', { id: 'att-sentence', type: 'text', size: 60 });
  const show = el('button', { id: 'att-show', text: 'show' });
  show.addEventListener('click', () => void drawAttentionPanel());
  sentence.addEventListener('change', () => void drawAttentionPanel());
  const story = el('button', { id: 'att-story' });
  story.addEventListener('click', () => {
    const m = S.runs.find((r) => r.id === S.selected[0])!.meta!;
    ($('att-layer') as HTMLSelectElement).value = String(Math.min(4, m.nLayers));
    ($('att-head') as HTMLSelectElement).value = String(Math.min(7, m.nHeads));
    void drawAttentionPanel();
  });
  const layerSel = el('select', { id: 'att-layer' });
  const headSel = el('select', { id: 'att-head' });
  layerSel.addEventListener('change', () => void drawAttentionPanel());
  headSel.addEventListener('change', () => void drawAttentionPanel());
  document.body.replaceChildren(
    el('header', {}, el('h1', { text: 'weft view' }), el('span', { id: 'status', class: 'muted' })),
    el('div', { id: 'runs' }),
    el('div', { id: 'banners' }),
    el('section', { id: 'compare' }),
    el('section', {}, el('h2', { text: 'Run overview' }), el('p', { class: 'muted small', text: 'drag to zoom, double-click to reset, click to open a step' }), el('div', { id: 'charts' })),
    el('section', {}, el('h2', {}, 'Layers × steps ', heatSelect), el('div', { id: 'heat-map' })),
    el('section', { id: 'scrub' }, el('h2', { text: 'Step' }),
      el('div', { class: 'controls' }, prev, slider, next, el('label', {}, ' step ', input), el('label', {}, ' histograms of ', histSelect), el('span', { id: 'step-error', class: 'error-text' })),
      el('div', { id: 'says' }),
      el('div', { id: 'step-detail' })),
    el('section', { id: 'attention', hidden: true }, el('h2', { text: 'Attention' }),
      el('div', { id: 'att-tracks' }),
      el('div', { class: 'controls' }, el('label', {}, 'layer ', layerSel), el('label', {}, ' head ', headSel), ' ', story, el('br'), el('label', {}, 'sentence ', sentence), show),
      el('div', { id: 'att-view' })),
    el('section', { id: 'patterns', hidden: true }, el('h2', { text: 'Heads by pattern' }),
      el('p', { class: 'muted small', text: 'a head\'s score: the share of its attention on the token the pattern names — previous-token: the one just before; induction: the one after the current token\'s earlier occurrence — averaged over 8 of the run\'s own sequences and replayed at the log\'s keyframes (weft attention LOG --track induction --every <keyframe interval> prints the same); click a point to open that step' }),
      el('div', { id: 'pattern-charts' })),
  );
}

async function start(): Promise<void> {
  layout();
  try {
    S.runs = await get<RunInfo[]>('/api/runs');
  } catch (e) {
    return failure($('banners'), e);
  }
  const first = S.runs.find((r) => r.meta);
  S.selected = first ? [first.id] : [];
  await refresh();
  // the other logs are read in the background, one at a time: damage in any shows as a banner
  for (const r of S.runs) {
    if (!r.meta || S.overviews.has(r.id)) continue;
    try {
      const o = await get<Overview>(`/api/runs/${r.id}/overview`);
      S.overviews.set(r.id, o);
      r.problem = o.problem ?? r.problem;
    } catch (e) {
      if (!(e instanceof ApiFailure)) throw e;
      r.problem = e.body.problem ?? { kind: 'unreadable', message: e.message, offset: null, readable: 'nothing can be shown' };
    }
    drawRuns();
  }
  document.body.dataset.ready = 'true';
}

void start();
