/**
 * Bounds what the static report draws by the pixels it has, not by the steps of the run: a line
 * keeps, per pixel column, its first, lowest, highest and last point (the line those draw is the
 * one every point would have drawn, a one-step spike included); a band its lowest low and highest
 * high per column; a heat map row one cell per column, the maximum of its steps (a non-finite
 * value wins, so NaN/Inf stays red). Every loop is one pass; nothing is spread into Math.min/max.
 */

export type Point = [number, number];
export type BandPoint = [number, number, number];

/** The pixel column (0 … columns−1) of x on an axis from x0 to x1. */
function columnOf(x: number, x0: number, x1: number, columns: number): number {
  const c = Math.floor(((x - x0) / (x1 - x0)) * columns);
  return c < 0 ? 0 : c >= columns ? columns - 1 : c;
}

/**
 * At most 4 points per pixel column, in their order. Consecutive points of one column form a
 * bucket, so points in step order give one bucket a column; any order still draws the same line.
 */
export function linePoints(points: Point[], x0: number, x1: number, columns: number): Point[] {
  const out: Point[] = [];
  let col = -1;
  let first = -1;
  let lo = -1;
  let hi = -1;
  let last = -1;
  const flush = () => {
    if (first < 0) return;
    // the bucket's indices in drawing order, each once
    const [a, b] = lo < hi ? [lo, hi] : [hi, lo];
    for (const i of [first, a, b, last]) if (out[out.length - 1] !== points[i]) out.push(points[i]);
  };
  for (let i = 0; i < points.length; i++) {
    const c = columnOf(points[i][0], x0, x1, columns);
    if (c !== col) {
      flush();
      col = c;
      first = lo = hi = last = i;
      continue;
    }
    last = i;
    if (points[i][1] < points[lo][1]) lo = i;
    if (points[i][1] > points[hi][1]) hi = i;
  }
  flush();
  return out;
}

/** At most 2 band points per pixel column (its first and last x), each spanning the column's lowest low to highest high. */
export function bandPoints(band: BandPoint[], x0: number, x1: number, columns: number): BandPoint[] {
  const out: BandPoint[] = [];
  let col = -1;
  let xFirst = 0;
  let xLast = 0;
  let lo = Infinity;
  let hi = -Infinity;
  const flush = () => {
    if (col < 0) return;
    out.push([xFirst, lo, hi]);
    if (xLast !== xFirst) out.push([xLast, lo, hi]);
  };
  for (const [x, l, h] of band) {
    const c = columnOf(x, x0, x1, columns);
    if (c !== col) {
      flush();
      col = c;
      xFirst = x;
      lo = l;
      hi = h;
    }
    xLast = x;
    if (l < lo) lo = l;
    if (h > hi) hi = h;
  }
  flush();
  return out;
}

/** Steps marked on the x axis (NaN/Inf), at most one per pixel column: the first step of each column, and how many share it. */
export function markerSteps(steps: number[], x0: number, x1: number, columns: number): { step: number; count: number }[] {
  const byColumn = new Map<number, { step: number; count: number }>();
  for (const s of steps) {
    const c = columnOf(s, x0, x1, columns);
    const m = byColumn.get(c);
    if (!m) byColumn.set(c, { step: s, count: 1 });
    else {
      m.count++;
      if (s < m.step) m.step = s;
    }
  }
  return [...byColumn.values()].sort((a, b) => a.step - b.step);
}

/** How many consecutive steps a heat-map cell holds so that n steps take at most `columns` cells. */
export function stepsPerCell(n: number, columns: number): number {
  return Math.max(1, Math.ceil(n / Math.max(1, columns)));
}

/** The largest of row[from … to−1]; the first non-finite value if there is one (NaN/Inf is never hidden by a larger number). */
export function cellMax(row: number[], from: number, to: number): number {
  let m = -Infinity;
  for (let i = from; i < to; i++) {
    const v = row[i];
    if (!Number.isFinite(v)) return v;
    if (v > m) m = v;
  }
  return m;
}
