/** Renders charts.ts's specs as SVG for the static report: axes, labels and legends included, no dependencies. */
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

export function lineChart(c: LineChartSpec): string {
  const logY = wantsLog(c);
  const pts = c.series.flatMap((s) => [...s.points, ...(s.band ?? []).flatMap(([x, lo, hi]) => [[x, lo], [x, hi]] as [number, number][])]).filter(([, y]) => Number.isFinite(y) && (!logY || y > 0));
  const tf = (y: number) => (logY ? Math.log10(y) : y);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => tf(p[1]));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!pts.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  if (logY) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  const listed = c.series.filter((s) => !s.unlisted);
  const column = listed.length > LEGEND_ROW_MAX;
  // wide enough for the longest name (≈ 6.5 px a character at 12 px), within bounds
  const legendW = Math.min(LEGEND_COLUMN_W_MAX, Math.max(LEGEND_COLUMN_W, 24 + Math.ceil(6.5 * Math.max(0, ...listed.map((s) => s.name.length)))));
  const right = M.right + (column ? legendW : 0);
  const h = Math.max(H, column ? M.top + listed.length * LEGEND_ROW_H + M.bottom : 0);
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
  // a NaN/Inf: a red tick under the x axis where the run stopped
  for (const a of c.anomalies ?? []) {
    const x = sx(Math.min(Math.max(a, x0), x1));
    parts.push(`<path d="M${x.toFixed(1)},${M.top + ph}l-5,8h10z" fill="#d62728" class="anomaly"><title>NaN/Inf at step ${a}</title></path>`);
  }
  for (const s of c.series) {
    if (!s.band?.length) continue;
    const ok = s.band.filter(([, lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && (!logY || lo > 0));
    if (!ok.length) continue;
    const upper = ok.map(([x, , hi], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(hi).toFixed(1)}`).join('');
    const lower = [...ok].reverse().map(([x, lo]) => `L${sx(x).toFixed(1)},${sy(lo).toFixed(1)}`).join('');
    parts.push(`<path d="${upper}${lower}Z" fill="${s.color}" fill-opacity="0.15" stroke="none" class="band" data-series="${esc(s.name)}"/>`);
  }
  for (const s of c.series) {
    const d = s.points.filter(([, y]) => Number.isFinite(y) && (!logY || y > 0)).map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.faint ? 1.2 : 1.6}"${s.faint ? ` stroke-opacity="${s.unlisted ? 0.35 : 0.85}"` : ''} class="series" data-series="${esc(s.name)}" data-points="${s.points.length}"/>`);
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
  const cw = pw / Math.max(1, c.cols.length);
  const parts: string[] = [`<svg id="${esc(c.id)}" class="chart heatmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(c.title)}">`];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${esc(c.title)}</text>`);
  c.rows.forEach((r, i) => {
    parts.push(`<text x="${M.left - 6}" y="${M.top + i * rowH + rowH * 0.7}" text-anchor="end" class="tick">${esc(r)}</text>`);
    c.cols.forEach((step, j) => {
      const v = c.values[i][j];
      const fill = rgb(heatCellColor(v, range));
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
  for (let k = 0; k < 20; k++) parts.push(`<rect x="${lx}" y="${M.top + ((19 - k) * ph) / 20}" width="14" height="${ph / 20 + 0.5}" fill="${rgb(heatColor(k / 19))}"/>`);
  parts.push(`<text x="${lx + 18}" y="${M.top + 8}" class="tick">1e${hi}</text><text x="${lx + 18}" y="${M.top + ph}" class="tick">1e${lo}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
