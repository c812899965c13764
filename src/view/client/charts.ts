import uPlot from 'uplot';
import { wantsLog, type LineChartSpec } from '../../report/charts.ts';

/**
 * Draws a chart spec (report/charts.ts, as the static report does in SVG) with uPlot: runs
 * overlaid on the union of their steps, a log y axis where the spec asks for one, the divergence
 * and NaN/Inf steps marked; a click picks that step.
 */
export function drawLineChart(into: HTMLElement, c: LineChartSpec, width: number, onPick: (step: number) => void): uPlot {
  const logY = wantsLog(c);
  const xs = [...new Set(c.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const data: (number | null)[][] = [xs];
  for (const s of c.series) {
    const ys = new Array<number | null>(xs.length).fill(null);
    for (const [x, y] of s.points) ys[at.get(x)!] = Number.isFinite(y) && (!logY || y > 0) ? y : null;
    data.push(ys);
  }
  const marks = (u: uPlot) => {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    const line = (step: number, color: string, label: string) => {
      const x = Math.round(u.valToPos(step, 'x', true));
      ctx.save();
      ctx.strokeStyle = color;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.textAlign = 'left'; // uPlot leaves its axes' alignment set
      ctx.textBaseline = 'alphabetic';
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.fillText(label, x + 4, top + 12 * devicePixelRatio);
      ctx.restore();
    };
    if (c.markerX !== undefined && c.markerX !== null) line(c.markerX, '#d62728', c.markerLabel ?? '');
    for (const a of c.anomalies ?? []) line(a, '#d62728', 'NaN/Inf');
  };
  const opts: uPlot.Options = {
    title: c.title,
    width,
    height: 240,
    scales: { x: { time: false }, y: logY ? { distr: 3 } : {} },
    // four significant digits: uPlot's fixed decimals print 0.0015 as 0.002 (and twice)
    axes: [{ label: c.xLabel }, { label: logY ? `${c.yLabel} (log)` : c.yLabel, size: 70, values: (_u, vals) => vals.map((v) => (v === null ? '' : String(Number(v.toPrecision(4))))) }],
    // a sparse series (evaluations) is null at the steps between its own: joined across them, its points marked
    series: [{ label: 'step' }, ...c.series.map((s) => ({
      label: s.name, stroke: s.color, width: s.faint ? 1 : 1.6, alpha: s.faint ? 0.85 : 1, spanGaps: Boolean(s.sparse),
      ...(s.dashed ? { dash: [6, 3] } : {}), ...(s.sparse ? { points: { show: true, size: 5, fill: s.color } } : {}),
    }))],
    hooks: { draw: [marks] },
    cursor: { drag: { x: true, y: false } },
  };
  const u = new uPlot(opts, data as uPlot.AlignedData, into);
  u.over.addEventListener('click', () => {
    const i = u.cursor.idx;
    if (i !== null && i !== undefined) onPick(xs[i]);
  });
  return u;
}
