import { describe, expect, it } from 'vitest';
import { bandPoints, cellMax, linePoints, markerSteps, stepsPerCell, type Point } from '../../src/report/downsample.ts';

describe('downsampling to pixel columns', () => {
  it("a line: each column's first, lowest, highest and last point, in their order", () => {
    // 2 columns over x 0…10: [0, 5) and [5, 10]
    const pts: Point[] = [[0, 3], [1, 9], [2, 1], [3, 4], [4, 2], [5, 5], [6, 5], [10, 0]];
    expect(linePoints(pts, 0, 10, 2)).toEqual([[0, 3], [1, 9], [2, 1], [4, 2], [5, 5], [10, 0]]);
    // the low before the high stays before it
    expect(linePoints([[0, 5], [1, 0], [2, 9], [3, 5]], 0, 3, 1)).toEqual([[0, 5], [1, 0], [2, 9], [3, 5]]);
    // a column of one point: that point; fewer points than columns: all of them
    expect(linePoints([[0, 1], [5, 2], [10, 3]], 0, 10, 100)).toEqual([[0, 1], [5, 2], [10, 3]]);
  });

  it("a band: per column, the lowest low and the highest high, at the column's first and last x", () => {
    expect(bandPoints([[0, 1, 2], [1, -1, 3], [2, 0, 8], [9, 4, 5]], 0, 9, 2)).toEqual([[0, -1, 8], [2, -1, 8], [9, 4, 5]]);
  });

  it('markers: one per column, its first step, how many share it', () => {
    expect(markerSteps([7, 3, 4, 90], 0, 100, 10)).toEqual([{ step: 3, count: 3 }, { step: 90, count: 1 }]);
  });

  it('a heat-map cell: the max of its steps, NaN/Inf never hidden by a larger number', () => {
    expect(cellMax([1, 5, 2], 0, 3)).toBe(5);
    expect(cellMax([1, 500, NaN, 2], 0, 4)).toBeNaN();
    expect(cellMax([1, Infinity, 500], 0, 3)).toBe(Infinity);
    expect(cellMax([1, 500, NaN, 2], 0, 2)).toBe(500);
    expect([stepsPerCell(8, 546), stepsPerCell(546, 546), stepsPerCell(547, 546), stepsPerCell(200_000, 546)]).toEqual([1, 1, 2, 367]);
  });
});
