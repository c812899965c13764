import { el, present, fmt } from './api.ts';
import type { Histogram, Quantity, RunInfo, StepDetail } from '../types.ts';

const QUANTITIES: { q: Quantity; label: string }[] = [
  { q: 'w', label: 'weights w' },
  { q: 'g', label: 'gradient g (after clipping)' },
  { q: 'dw', label: 'update Δw' },
  { q: 'm', label: 'first buffer' },
  { q: 'v', label: 'second buffer' },
];

function histogramCanvas(h: Histogram | null, color: string): HTMLElement {
  if (!h) return el('span', { class: 'muted', text: '–' });
  const W = 120;
  const H = 28;
  const c = el('canvas', { class: 'hist', width: W * devicePixelRatio, height: H * devicePixelRatio, title: `${fmt(h.lo)} … ${fmt(h.hi)}${h.nonFinite ? ` · ${h.nonFinite} NaN/Inf` : ''}` });
  c.style.width = `${W}px`;
  c.style.height = `${H}px`;
  const ctx = c.getContext('2d')!;
  ctx.scale(devicePixelRatio, devicePixelRatio);
  // square-root heights: the tails stay visible beside a tall centre bin
  const top = Math.sqrt(Math.max(1, ...h.counts));
  const bw = W / h.counts.length;
  ctx.fillStyle = color;
  h.counts.forEach((n, i) => {
    const bh = (Math.sqrt(n) / top) * (H - 2);
    ctx.fillRect(i * bw, H - bh, Math.max(1, bw - 0.5), bh);
  });
  if (h.nonFinite) {
    ctx.fillStyle = '#d62728';
    ctx.fillRect(W - 3, 0, 3, H);
  }
  return c;
}

/** A number cell: shown rounded, its exact value (as the server sent it) in data-value. */
function numCell(q: string, v: number | string | null): HTMLTableCellElement {
  return el('td', { class: 'num', 'data-q': q, 'data-value': v === null ? null : String(v), text: fmt(v) });
}

/**
 * One run's step: its scalars, then per tensor the norms of w, g, Δw and the optimizer's buffers
 * and the histogram of the chosen quantity; the dropout keep-rate per site.
 */
export function drawStep(into: HTMLElement, run: RunInfo, d: StepDetail, histOf: Quantity, color: string): void {
  const buf = (slot: 'm' | 'v') => (d.buffers[slot] ? `‖${d.buffers[slot]}‖` : `‖${slot}‖`);
  const head = el('tr', {}, ...['tensor', 'shape', '‖w‖', '‖g‖ recorded (before clipping)', '‖g‖ after clipping', '‖Δw‖', buf('m'), buf('v'), `histogram: ${QUANTITIES.find((x) => x.q === histOf)!.label}`].map((t) => el('th', { text: t })));
  const rows = d.tensors.map((t) => el('tr', { 'data-tensor': t.name },
    el('td', { class: 'name', title: t.layer, text: t.name }),
    el('td', { class: 'shape', text: t.shape.join('×') }),
    numCell('w', t.norms.w),
    numCell('g-recorded', t.gradNormRecorded),
    numCell('g', t.norms.g),
    numCell('dw', t.norms.dw),
    numCell('m', t.norms.m),
    numCell('v', t.norms.v),
    el('td', {}, histogramCanvas(t.hist[histOf], color)),
  ));
  const summary = d.loss === null
    ? `initial state (step ${d.step}): weights and optimizer buffers before any update`
    : `step ${d.step}: loss ${fmt(d.loss)} · lr ${fmt(d.lr)} · clip factor ${fmt(d.clipFactor)} · gradient norm ${fmt(d.gradNormGlobal)}`;
  const dropout = d.dropout
    ? el('p', { class: 'dropout' }, 'dropout keep-rate per site: ', ...d.dropout.map((s) => el('span', { class: 'site', 'data-site': s.site, 'data-value': String(s.keepRate), text: `${s.site} ${(s.keepRate * 100).toFixed(2)}%` })))
    : el('p', { class: 'dropout muted', text: 'no dropout' });
  into.replaceChildren(...present(
    el('h3', {}, el('span', { class: 'swatch', style: `background:${color}` }), ` ${run.name}`),
    el('p', { class: 'step-summary', 'data-step': d.step, 'data-loss': d.loss === null ? null : String(d.loss), 'data-grad-norm': d.gradNormGlobal === null ? null : String(d.gradNormGlobal) }, summary),
    d.batchWords ? el('p', { class: 'batch' }, 'batch[0]: ', el('q', { text: d.batchWords })) : null,
    dropout,
    el('div', { class: 'tensors' }, el('table', { class: 'tensors' }, el('thead', {}, head), el('tbody', {}, ...rows))),
    el('p', { class: 'muted small', text: `state hash ${d.stateHash} (equal to the log's) · ${d.elapsedMs} ms to replay${d.loss === null ? '' : ' and re-execute the step'}` }),
  ));
}

export { QUANTITIES };
