/** Small SVG chart builders: axes, labels and legends included, no dependencies. */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export interface LineChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** log10 y axis; 'auto': when every value is positive and they span two decades or more */
  logY?: boolean | 'auto';
  /** vertical marker (the divergence step) */
  markerX?: number | null;
  markerLabel?: string;
}

const W = 720;
const H = 300;
const M = { left: 84, right: 20, top: 50, bottom: 46 };
/** Past this many series the legend is a column right of the plot, one row each. */
const LEGEND_ROW_MAX = 3;
const LEGEND_COLUMN_W = 120;
const LEGEND_ROW_H = 15;
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

function fmtTick(v: number, log: boolean): string {
  if (log) return `1e${v}`;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

function wantsLog(c: LineChartSpec): boolean {
  if (c.logY !== 'auto') return Boolean(c.logY);
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  return ys.length > 0 && ys.every((y) => y > 0) && Math.max(...ys) / Math.min(...ys) >= 100;
}

export function lineChart(c: LineChartSpec): string {
  const logY = wantsLog(c);
  const pts = c.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!logY || y > 0));
  const tf = (y: number) => (logY ? Math.log10(y) : y);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => tf(p[1]));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!pts.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  if (logY) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  const column = c.series.length > LEGEND_ROW_MAX;
  const right = M.right + (column ? LEGEND_COLUMN_W : 0);
  const h = Math.max(H, column ? M.top + c.series.length * LEGEND_ROW_H + M.bottom : 0);
  const pw = W - M.left - right;
  const ph = h - M.top - M.bottom;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => M.top + ph - ((tf(y) - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg id="${esc(c.id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(c.title)}">`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${esc(c.title)}</text>`);
  const every = logY ? Math.max(1, Math.ceil((y1 - y0 + 1) / LOG_TICKS_MAX)) : 1;
  const yt = logY ? Array.from({ length: y1 - y0 + 1 }, (_, i) => y0 + i).filter((t) => (t - y0) % every === 0) : niceTicks(y0, y1);
  for (const t of yt) {
    const y = M.top + ph - ((t - y0) / (y1 - y0)) * ph;
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" class="grid"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${fmtTick(t, logY)}</text>`);
  }
  for (const t of niceTicks(x0, x1)) parts.push(`<text x="${sx(t)}" y="${h - M.bottom + 16}" text-anchor="middle" class="tick">${fmtTick(t, false)}</text>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" class="axis"/><line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${h - 8}" text-anchor="middle" class="label">${esc(c.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(logY ? `${c.yLabel} (log scale)` : c.yLabel)}</text>`);
  if (c.markerX !== undefined && c.markerX !== null) {
    const x = sx(c.markerX);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" class="marker"/><text x="${x + 4}" y="${M.top + 12}" class="marker-label">${esc(c.markerLabel ?? '')}</text>`);
  }
  for (const s of c.series) {
    const d = s.points.filter(([, y]) => Number.isFinite(y) && (!logY || y > 0)).map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6" class="series" data-series="${esc(s.name)}" data-points="${s.points.length}"/>`);
  }
  // legend: a row between the title and the plot, or a column right of the plot for many series
  c.series.forEach((s, i) => {
    const [x, y] = column ? [W - M.right - LEGEND_COLUMN_W + 14, M.top + i * LEGEND_ROW_H + 8] : [W - M.right - (c.series.length - i) * 110, 38];
    parts.push(`<rect x="${x}" y="${y - 5}" width="12" height="3" fill="${s.color}"/><text x="${x + 16}" y="${y}" class="legend">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Viridis-like ramp from dark blue (low) to yellow (high). */
function color(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const u = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export interface HeatMapSpec {
  id: string;
  title: string;
  rows: string[];
  cols: number[];
  /** values[row][col]; colored by log10, non-finite cells in red */
  values: number[][];
  /** shared log10 range, so two maps can be compared */
  range?: [number, number];
}

export function heatMap(c: HeatMapSpec): string {
  const finite = c.values.flat().filter((v) => Number.isFinite(v) && v > 0).map(Math.log10);
  const [lo, hi] = c.range ?? (finite.length ? [Math.floor(Math.min(...finite)), Math.ceil(Math.max(...finite))] : [0, 1]);
  const pw = W - M.left - 90;
  const rowH = Math.max(8, Math.min(22, 220 / Math.max(1, c.rows.length)));
  const ph = rowH * c.rows.length;
  const h = M.top + ph + M.bottom;
  const cw = pw / Math.max(1, c.cols.length);
  const parts: string[] = [`<svg id="${esc(c.id)}" class="chart heatmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(c.title)}">`];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${esc(c.title)}</text>`);
  c.rows.forEach((r, i) => {
    parts.push(`<text x="${M.left - 6}" y="${M.top + i * rowH + rowH * 0.7}" text-anchor="end" class="tick">${esc(r)}</text>`);
    c.cols.forEach((step, j) => {
      const v = c.values[i][j];
      const fill = Number.isFinite(v) ? (v > 0 ? color((Math.log10(v) - lo) / Math.max(1e-9, hi - lo)) : color(0)) : '#d62728';
      parts.push(`<rect x="${(M.left + j * cw).toFixed(2)}" y="${M.top + i * rowH}" width="${(cw + 0.5).toFixed(2)}" height="${rowH}" fill="${fill}" class="cell"><title>${esc(r)}, step ${step}: ${v}</title></rect>`);
    });
  });
  for (const t of niceTicks(c.cols[0] ?? 0, c.cols[c.cols.length - 1] ?? 1)) {
    const j = c.cols.indexOf(t);
    if (j >= 0) parts.push(`<text x="${M.left + (j + 0.5) * cw}" y="${M.top + ph + 16}" text-anchor="middle" class="tick">${t}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${h - 8}" text-anchor="middle" class="label">step</text>`);
  // color legend
  const lx = W - 70;
  for (let k = 0; k < 20; k++) parts.push(`<rect x="${lx}" y="${M.top + ((19 - k) * ph) / 20}" width="14" height="${ph / 20 + 0.5}" fill="${color(k / 19)}"/>`);
  parts.push(`<text x="${lx + 18}" y="${M.top + 8}" class="tick">1e${hi}</text><text x="${lx + 18}" y="${M.top + ph}" class="tick">1e${lo}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
