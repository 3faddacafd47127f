// The profile tool's flame graph: boxes as wide as their samples, callees standing on their callers.
import { describe, expect, it } from 'vitest';
import { flameGraphSvg, type ProfileNode } from '../bench/flame-graph.ts';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

describe('flame graph', () => {
  it('draws each function as wide as its own and its callees samples, above its caller', () => {
    const nodes: ProfileNode[] = [
      { id: 1, callFrame: frame('(root)'), children: [2, 3] },
      { id: 2, callFrame: frame('handler', 'src/api/plugin.ts'), children: [4] },
      { id: 3, callFrame: frame('(idle)') },
      { id: 4, callFrame: frame('all', 'src/storage/database.ts') },
    ];
    // handler 1 sample itself + all 2 = 3 of 4; idle 1 of 4.
    const svg = flameGraphSvg(nodes, new Map([[2, 1], [4, 2], [3, 1]]), (url) => url || '(native)', 'test');
    const box = (name: string) => {
      const match = new RegExp(`<title>${name.replace(/[()]/g, '\\$&')} [^<]*\\((\\d+\\.\\d)%\\)</title><rect x="([\\d.]+)" y="(\\d+)" width="([\\d.]+)"`).exec(svg);
      if (!match) throw new Error(`no box for ${name}`);
      return { share: match[1], x: Number(match[2]), y: Number(match[3]), width: Number(match[4]) };
    };
    expect(svg).toContain('test (4 samples)');
    expect(box('(root)')).toMatchObject({ share: '100.0', x: 0, width: 1199.5 });
    expect(box('handler')).toMatchObject({ share: '75.0', x: 0, width: 899.5 });
    expect(box('(idle)')).toMatchObject({ share: '25.0', x: 900, width: 299.5 });
    expect(box('all')).toMatchObject({ share: '50.0', x: 0, width: 599.5 });
    // The root at the bottom, each callee one row above its caller.
    expect(box('handler').y).toBe(box('(root)').y - 16);
    expect(box('all').y).toBe(box('handler').y - 16);
  });
});
