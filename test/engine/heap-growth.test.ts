import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from '../../src/engine/heap-growth.js';

describe('the run heap growth limit', () => {
  it('applies when the user chose no heap growth of their own', () => {
    expect(limitHeapGrowth({ NODE_OPTIONS: '--max-old-space-size=4096' })).toBe(true);
    expect(limitHeapGrowth({})).toBe(true);
  });

  it("leaves the user's own growth setting in NODE_OPTIONS alone", () => {
    expect(limitHeapGrowth({ NODE_OPTIONS: '--heap-growing-percent=0' })).toBe(false);
    expect(limitHeapGrowth({ NODE_OPTIONS: '--trace-gc --heap_growing_percent=300' })).toBe(false);
  });
});
