/** Renders charts.ts's specs as SVG for the static report: axes, labels and legends included, no dependencies. */
import { bandPoints, cellMax, linePoints, markerSteps, stepsPerCell } from './downsample.ts';
import { heatCellColor, heatColor, logRange, wantsLog, type HeatMapSpec, type LineChartSpec } from './charts.ts';

export type { HeatMapSpec, LineChartSpec };

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const W = 720;
const H = 300;
const M = { left: 84, right: 20, top: 50, bottom: 46 };
/** Past this many series the legend is a column right of the plot, one row each. */
const LEGEND_ROW_MAX = 3;
const LEGEND_COLUMN_W = 120;
const LEGEND_COLUMN_W_MAX = 300;
const LEGEND_ROW_H = 15;
/** A sparse series' points are dotted up to this many (more would be a line of dots). */
const SPARSE_DOTS_MAX = 120;
/** At most this many labelled decades on a log axis (more are thinned to every k-th). */
const LOG_TICKS_MAX = 7;

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  // integer multiples of the step, so 0 is exactly 0 (no accumulated rounding)
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/**
 * A tick's label; `scale` is the largest |tick| of its axis, so an axis up to 0.0011 labels 0.0009
 * as such, not as 9.0e-4, and a step axis up to 200,000 reads 150000, not 1.5e+5.
 */
function fmtTick(v: number, log: boolean, scale = Math.abs(v)): string {
  if (log) return `1e${v}`;
  const a = Math.abs(v);
  const exponential = a !== 0 && (scale < 1e-3 || scale >= 1e7 || (a >= 1e5 && !Number.isInteger(v)));
  return exponential ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** The largest |tick| of an axis. */
function tickScale(ticks: number[]): number {
  return ticks.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
}

/** A value as a label, to 6 significant digits (the value of a flat series: its own tick). */
function fmtValue(v: number): string {
  const a = Math.abs(v);
  const r = Number(v.toPrecision(6));
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? r.toExponential() : String(r);
}

interface YAxis {
  /** the axis' ends, in drawn units (log10 of the value on a log axis) */
  lo: number;
  hi: number;
  ticks: { at: number; label: string }[];
}

/** Half the range around a flat series' value: 10% of it (a value of 0: ±0.5). */
const FLAT_PAD_REL = 0.1;
const FLAT_PAD_ZERO = 0.5;

/**
 * The y axis over drawn values from lo to hi (log10 of them on a log axis). A flat chart (lo = hi)
 * gets an axis around its value and a tick labelled with it, so it reads as what it is (an lr of
 * 0.001, not a line at 0).
 */
function yAxis(lo: number, hi: number, logY: boolean, any: boolean): YAxis {
  if (!any) [lo, hi] = [0, 1];
  const flat = any && hi === lo;
  const value = lo;
  if (flat) {
    const pad = logY ? 0.5 : value === 0 ? FLAT_PAD_ZERO : Math.abs(value) * FLAT_PAD_REL;
    [lo, hi] = [value - pad, value + pad];
  }
  let ticks: { at: number; label: string }[];
  if (logY) {
    [lo, hi] = [Math.floor(lo), Math.ceil(hi)];
    const every = Math.max(1, Math.ceil((hi - lo + 1) / LOG_TICKS_MAX));
    ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((t) => (t - lo) % every === 0).map((t) => ({ at: t, label: fmtTick(t, true) }));
  } else {
    const nice = niceTicks(lo, hi);
    const scale = tickScale(nice);
    ticks = nice.map((t) => ({ at: t, label: fmtTick(t, false, scale) }));
  }
  if (flat && !ticks.some((t) => t.at === value)) {
    // the value's own tick; the ticks so near it that their labels would touch give way
    const near = (hi - lo) / 8;
    ticks = [...ticks.filter((t) => Math.abs(t.at - value) > near), { at: value, label: logY ? fmtValue(10 ** value) : fmtValue(value) }].sort((a, b) => a.at - b.at);
  }
  return { lo, hi, ticks };
}

export function lineChart(c: LineChartSpec): string {
  const logY = wantsLog(c);
  const tf = (y: number) => (logY ? Math.log10(y) : y);
  const drawn = (y: number) => Number.isFinite(y) && (!logY || y > 0);
  // the extent of every drawn point and band edge, in one pass (no spread into Math.min/max: a long run has 10^5 points and more)
  let [x0, x1, ylo, yhi] = [Infinity, -Infinity, Infinity, -Infinity];
  const widen = (x: number, y: number) => {
    if (!drawn(y)) return;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    const t = tf(y);
    if (t < ylo) ylo = t;
    if (t > yhi) yhi = t;
  };
  for (const s of c.series) {
    for (const [x, y] of s.points) widen(x, y);
    for (const [x, lo, hi] of s.band ?? []) {
      widen(x, lo);
      widen(x, hi);
    }
  }
  const any = x1 >= x0;
  if (!any) [x0, x1] = [0, 1];
  if (x1 === x0) x1 = x0 + 1;
  const axis = yAxis(ylo, yhi, logY, any);
  const [y0, y1] = [axis.lo, axis.hi];
  const listed = c.series.filter((s) => !s.unlisted);
  const column = listed.length > LEGEND_ROW_MAX;
  // wide enough for the longest name (≈ 6.5 px a character at 12 px), within bounds
  const legendW = Math.min(LEGEND_COLUMN_W_MAX, Math.max(LEGEND_COLUMN_W, 24 + Math.ceil(6.5 * listed.reduce((m, s) => Math.max(m, s.name.length), 0))));
  const right = M.right + (column ? legendW : 0);
  const h = Math.max(H, column ? M.top + listed.length * LEGEND_ROW_H + M.bottom : 0);
  const pw = W - M.left - right;
  const ph = h - M.top - M.bottom;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => M.top + ph - ((tf(y) - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg id="${esc(c.id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(c.title)}">`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${esc(c.title)}</text>`);
  for (const t of axis.ticks) {
    const y = M.top + ph - ((t.at - y0) / (y1 - y0)) * ph;
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" class="grid"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${esc(t.label)}</text>`);
  }
  const xt = niceTicks(x0, x1);
  const xScale = tickScale(xt);
  for (const t of xt) parts.push(`<text x="${sx(t)}" y="${h - M.bottom + 16}" text-anchor="middle" class="tick">${fmtTick(t, false, xScale)}</text>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" class="axis"/><line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${h - 8}" text-anchor="middle" class="label">${esc(c.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(logY ? `${c.yLabel} (log scale)` : c.yLabel)}</text>`);
  if (c.markerX !== undefined && c.markerX !== null) {
    const x = sx(c.markerX);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" class="marker"/><text x="${x + 4}" y="${M.top + 12}" class="marker-label">${esc(c.markerLabel ?? '')}</text>`);
  }
  // a NaN/Inf: a red tick under the x axis where the run stopped (one a pixel column: a sweep may mark many)
  const columns = Math.max(1, Math.round(pw));
  for (const a of markerSteps(c.anomalies ?? [], x0, x1, columns)) {
    const x = sx(Math.min(Math.max(a.step, x0), x1));
    parts.push(`<path d="M${x.toFixed(1)},${M.top + ph}l-5,8h10z" fill="#d62728" class="anomaly"><title>NaN/Inf at step ${a.step}${a.count > 1 ? ` (and ${a.count - 1} more steps here)` : ''}</title></path>`);
  }
  for (const s of c.series) {
    if (!s.band?.length) continue;
    const ok = bandPoints(s.band.filter(([, lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && (!logY || lo > 0)), x0, x1, columns);
    if (!ok.length) continue;
    const upper = ok.map(([x, , hi], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(hi).toFixed(1)}`).join('');
    const lower = [...ok].reverse().map(([x, lo]) => `L${sx(x).toFixed(1)},${sy(lo).toFixed(1)}`).join('');
    parts.push(`<path d="${upper}${lower}Z" fill="${s.color}" fill-opacity="0.15" stroke="none" class="band" data-series="${esc(s.name)}"/>`);
  }
  for (const s of c.series) {
    // every point counts (data-points); a pixel column draws at most its first, lowest, highest and last
    const pts = linePoints(s.points.filter(([, y]) => drawn(y)), x0, x1, columns);
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.faint ? 1.2 : 1.6}"${s.faint ? ` stroke-opacity="${s.unlisted ? 0.35 : 0.85}"` : ''}${s.dashed ? ' stroke-dasharray="6 3"' : ''} class="series" data-series="${esc(s.name)}" data-points="${s.points.length}"/>`);
    // a series measured at some steps (evaluations): each measurement a dot, while they stay apart
    if (s.sparse && pts.length <= SPARSE_DOTS_MAX) {
      for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.2" fill="${s.color}" class="point" data-series="${esc(s.name)}"/>`);
    }
  }
  // legend: a row between the title and the plot, or a column right of the plot for many series
  listed.forEach((s, i) => {
    const [x, y] = column ? [W - M.right - legendW + 14, M.top + i * LEGEND_ROW_H + 8] : [W - M.right - (listed.length - i) * 110, 38];
    parts.push(`<rect x="${x}" y="${y - 5}" width="12" height="3" fill="${s.color}"/><text x="${x + 16}" y="${y}" class="legend">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function rgb(c: [number, number, number]): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function heatMap(c: HeatMapSpec): string {
  const range = c.range ?? logRange(c.values);
  const [lo, hi] = range;
  const pw = W - M.left - 90;
  const rowH = Math.max(8, Math.min(22, 220 / Math.max(1, c.rows.length)));
  const ph = rowH * c.rows.length;
  const h = M.top + ph + M.bottom;
  const n = c.cols.length;
  // at most one cell per pixel column: a long run's cell holds `per` steps, coloured by their max
  const per = stepsPerCell(n, Math.floor(pw));
  const xAt = (i: number) => M.left + (i / Math.max(1, n)) * pw;
  const title = per > 1 ? `${c.title}; each cell the max of ${per} steps` : c.title;
  const parts: string[] = [`<svg id="${esc(c.id)}" class="chart heatmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${esc(title)}</text>`);
  c.rows.forEach((r, i) => {
    parts.push(`<text x="${M.left - 6}" y="${M.top + i * rowH + rowH * 0.7}" text-anchor="end" class="tick">${esc(r)}</text>`);
    for (let from = 0; from < n; from += per) {
      const to = Math.min(n, from + per);
      const v = per > 1 ? cellMax(c.values[i], from, to) : c.values[i][from];
      const fill = rgb(heatCellColor(v, range));
      const what = per > 1 ? `steps ${c.cols[from]}–${c.cols[to - 1]}: max ${v}` : `step ${c.cols[from]}: ${v}`;
      parts.push(`<rect x="${xAt(from).toFixed(2)}" y="${M.top + i * rowH}" width="${(xAt(to) - xAt(from) + 0.5).toFixed(2)}" height="${rowH}" fill="${fill}" class="cell"><title>${esc(r)}, ${what}</title></rect>`);
    }
  });
  for (const t of niceTicks(c.cols[0] ?? 0, c.cols[c.cols.length - 1] ?? 1)) {
    const j = c.cols.indexOf(t);
    if (j >= 0) parts.push(`<text x="${xAt(j + 0.5)}" y="${M.top + ph + 16}" text-anchor="middle" class="tick">${t}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${h - 8}" text-anchor="middle" class="label">step</text>`);
  // color legend
  const lx = W - 70;
  for (let k = 0; k < 20; k++) parts.push(`<rect x="${lx}" y="${M.top + ((19 - k) * ph) / 20}" width="14" height="${ph / 20 + 0.5}" fill="${rgb(heatColor(k / 19))}"/>`);
  parts.push(`<text x="${lx + 18}" y="${M.top + 8}" class="tick">1e${hi}</text><text x="${lx + 18}" y="${M.top + ph}" class="tick">1e${lo}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
