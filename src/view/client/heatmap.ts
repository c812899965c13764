import { heatCellColor, heatColor, logRange } from '../../report/charts.ts';
import { el, num } from './api.ts';
import type { JsonNumber } from '../types.ts';

export interface HeatData {
  title: string;
  rows: string[];
  steps: number[];
  values: JsonNumber[][];
}

/**
 * A layer × step heat map on a canvas, coloured on a log10 scale by report/charts.ts's ramp (the
 * static report's SVG map uses the same), with its legend; hovering a cell shows the exact value,
 * its layer and step; clicking opens that step.
 */
export function drawHeatMap(into: HTMLElement, d: HeatData, width: number, onPick: (step: number) => void): void {
  into.replaceChildren();
  const values = d.values.map((row) => row.map(num));
  const range = logRange(values);
  const labelW = 64;
  const cols = d.steps.length;
  const cellW = Math.max(1, (width - labelW - 80) / Math.max(1, cols));
  const cellH = Math.max(10, Math.min(24, 240 / Math.max(1, d.rows.length)));
  const w = cellW * cols;
  const h = cellH * d.rows.length;
  const canvas = el('canvas', { id: 'heat-canvas', width: Math.ceil(w * devicePixelRatio), height: Math.ceil(h * devicePixelRatio), 'data-cell-w': cellW, 'data-cell-h': cellH, 'data-rows': d.rows.length, 'data-cols': cols });
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(devicePixelRatio, devicePixelRatio);
  values.forEach((row, r) => row.forEach((v, c) => {
    const [R, G, B] = heatCellColor(v, range);
    ctx.fillStyle = `rgb(${R},${G},${B})`;
    ctx.fillRect(c * cellW, r * cellH, cellW + 0.5, cellH);
  }));
  const labels = el('div', { class: 'heat-labels' }, ...d.rows.map((r) => {
    const l = el('div', { text: r });
    l.style.height = `${cellH}px`;
    l.style.lineHeight = `${cellH}px`;
    return l;
  }));
  labels.style.width = `${labelW}px`;
  const legend = el('canvas', { class: 'heat-legend', width: 14, height: Math.ceil(h) });
  const lctx = legend.getContext('2d')!;
  for (let k = 0; k < h; k++) {
    const [R, G, B] = heatColor(1 - k / Math.max(1, h - 1));
    lctx.fillStyle = `rgb(${R},${G},${B})`;
    lctx.fillRect(0, k, 14, 1);
  }
  const legendBox = el('div', { class: 'heat-legend-box' }, legend, el('div', { class: 'heat-legend-labels' }, el('span', { text: `1e${range[1]}` }), el('span', { text: `1e${range[0]}` })));
  legendBox.style.height = `${h}px`;
  const tip = el('div', { id: 'heat-tip', class: 'tip', hidden: true });
  const axis = el('div', { class: 'heat-axis' }, el('span', { text: `step ${d.steps[0] ?? ''}` }), el('span', { text: 'step (click a cell to open it)' }), el('span', { text: `${d.steps[cols - 1] ?? ''}` }));
  axis.style.width = `${w}px`;
  axis.style.marginLeft = `${labelW}px`;
  const cell = (e: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    const c = Math.floor((e.clientX - r.left) / cellW);
    const row = Math.floor((e.clientY - r.top) / cellH);
    return c >= 0 && c < cols && row >= 0 && row < d.rows.length ? { c, row } : null;
  };
  canvas.addEventListener('mousemove', (e) => {
    const at = cell(e);
    if (!at) return void (tip.hidden = true);
    const raw = d.values[at.row][at.c];
    tip.hidden = false;
    tip.dataset.value = String(raw);
    tip.dataset.layer = d.rows[at.row];
    tip.dataset.step = String(d.steps[at.c]);
    tip.textContent = `${d.rows[at.row]}, step ${d.steps[at.c]}: ${String(raw)}`;
    tip.style.left = `${e.pageX + 12}px`;
    tip.style.top = `${e.pageY + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => (tip.hidden = true));
  canvas.addEventListener('click', (e) => {
    const at = cell(e);
    if (at) onPick(d.steps[at.c]);
  });
  into.append(el('div', { class: 'heat-title', text: `${d.title} · log colour scale` }), el('div', { class: 'heat-row' }, labels, canvas, legendBox), axis, tip);
}
