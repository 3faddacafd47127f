// A flame graph of a V8 CPU profile as a self-contained SVG (no tool to install, opens in any
// browser): each box is a function, as wide as the samples spent in it and in what it called,
// standing on its caller. Hover a box for its name, place and share.

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

const WIDTH = 1200;
const ROW = 16;
const CHAR = 6.5; // average glyph width of the 11 px monospace label

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Warm for our own code, cool for packages, grey for the runtime: the eye finds ours first. */
function colour(place: string): string {
  if (place.startsWith('src/') || place.startsWith('bench/')) return 'hsl(28, 90%, 62%)';
  if (place === '(native)' || place.startsWith('node:')) return 'hsl(0, 0%, 72%)';
  let hash = 0;
  for (const c of place) hash = (hash * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${190 + (hash % 60)}, 55%, 65%)`;
}

/**
 * `selfSamples` counts, per node id, the samples that were in that node itself; `place` names where
 * a node's code lives (a file of ours, a package, the runtime).
 */
export function flameGraphSvg(
  nodes: readonly ProfileNode[],
  selfSamples: ReadonlyMap<number, number>,
  place: (url: string) => string,
  title: string,
): string {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const inclusive = new Map<number, number>();
  const total = (id: number): number => {
    const node = byId.get(id)!;
    const sum = (selfSamples.get(id) ?? 0) + (node.children ?? []).reduce((acc, child) => acc + total(child), 0);
    inclusive.set(id, sum);
    return sum;
  };
  const callees = new Set(nodes.flatMap((node) => node.children ?? []));
  const root = nodes.find((node) => !callees.has(node.id))!;
  const all = total(root.id);
  if (all === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="40"><text x="8" y="24">no samples</text></svg>`;

  const boxes: { node: ProfileNode; x: number; width: number; level: number }[] = [];
  const layout = (id: number, x: number, level: number) => {
    const node = byId.get(id)!;
    const width = ((inclusive.get(id) ?? 0) / all) * WIDTH;
    if (width < 0.5) return;
    boxes.push({ node, x, width, level });
    let childX = x;
    for (const child of node.children ?? []) {
      layout(child, childX, level + 1);
      childX += ((inclusive.get(child) ?? 0) / all) * WIDTH;
    }
  };
  layout(root.id, 0, 0);

  // The root stands at the bottom, callees on their callers.
  const height = (Math.max(...boxes.map((box) => box.level)) + 1) * ROW + 30;
  const rendered = boxes.map(({ node, x, width, level }) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = place(url);
    const name = functionName || '(anonymous)';
    const share = (((inclusive.get(node.id) ?? 0) / all) * 100).toFixed(1);
    const y = height - (level + 1) * ROW;
    const label = width > 3 * CHAR ? name.slice(0, Math.floor(width / CHAR) - 1) : '';
    return (
      `<g><title>${escape(`${name} ${where}:${lineNumber} (${share}%)`)}</title>` +
      `<rect x="${x.toFixed(1)}" y="${y}" width="${(width - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colour(where)}"/>` +
      (label ? `<text x="${(x + 3).toFixed(1)}" y="${y + ROW - 4}">${escape(label)}</text>` : '') +
      '</g>'
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace" font-size="11">`,
    `<text x="8" y="18" font-size="13">${escape(title)} (${all} samples)</text>`,
    ...rendered,
    '</svg>',
  ].join('\n');
}
