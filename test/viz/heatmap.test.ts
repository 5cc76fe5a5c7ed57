// heatmapPanels: one heatmap trace per panel on its own axes, side by side, one shared colour range and bar.
import { describe, expect, it } from 'vitest';
import { heatmap, heatmapPanels } from '../../lib/viz/heatmap';

describe('heatmapPanels', () => {
  it('places panels side by side with a shared colour range and one colour bar', () => {
    const fig = heatmapPanels([{ z: [[0, 1], [2, 3]], title: 'a' }, { z: [[5, -1], [0, 0]], title: 'b' }], { title: 'two', xTitle: 'x' });
    const data = fig.data as { z: number[][]; zmin: number; zmax: number; showscale: boolean; xaxis: string; yaxis: string }[];
    expect(data.map((d) => [d.xaxis, d.yaxis, d.zmin, d.zmax, d.showscale])).toEqual([['x', 'y', -1, 5, false], ['x2', 'y2', -1, 5, true]]);
    const layout = fig.layout as Record<string, { domain?: number[]; autorange?: unknown; anchor?: string }>;
    expect(layout.xaxis.domain![1]).toBeLessThan(layout.xaxis2.domain![0]);
    expect(layout.xaxis2.domain![1]).toBeCloseTo(1, 12);
    expect(layout.yaxis.autorange).toBe('reversed'); // row 0 on top, as in an image
    expect(JSON.stringify(fig.layout)).toContain('"text":"b"');
    expect((heatmap([[1]], { title: 't', zmin: 0, zmax: 2 }).data[0] as { zmax: number }).zmax).toBe(2);
  });

  it('rejects empty and ragged matrices, naming the panel', () => {
    expect(() => heatmapPanels([], { title: 't' })).toThrow(/no panels/);
    expect(() => heatmapPanels([{ z: [[1, 2], [3]], title: 'bad' }], { title: 't' })).toThrow("heatmap 'bad': rows of different lengths");
  });
});
