import { describe, expect, it } from 'vitest';
import { chunk } from '../../src/domain/chunk.js';

describe('chunk', () => {
  it('splits a list into consecutive slices of at most the size, in order', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([1, 2, 3, 4], 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(chunk([1, 2], 5)).toEqual([[1, 2]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it('leaves the input alone', () => {
    const items = Object.freeze([1, 2, 3]);
    chunk(items, 1);
    expect(items).toEqual([1, 2, 3]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses size %s instead of looping forever', (size) => {
    expect(() => chunk([1, 2], size)).toThrow(RangeError);
  });
});
