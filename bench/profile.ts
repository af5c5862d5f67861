/**
 * Reads V8 CPU profiles (`node --cpu-prof`) the way docs/performance.md uses them:
 *
 *   npx tsx bench/profile.ts top <file.cpuprofile> [count]          self time by function
 *   npx tsx bench/profile.ts inclusive <file.cpuprofile> [count]    time under each function
 *   npx tsx bench/profile.ts packages <file.cpuprofile>             self time by package / source folder
 *   npx tsx bench/profile.ts diff <a> <requests-a> <b> <requests-b> µs per request by function, a minus b
 *   npx tsx bench/profile.ts callers <file.cpuprofile> <regexp>     the stacks that lead to a function
 *
 * A profile counts the main thread only; `(idle)` is time it waited.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function load(file: string) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const hits = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    hits.set(id, (hits.get(id) ?? 0) + dt);
    total += dt;
  });
  return { byId, parent, hits, total };
}

const shortUrl = (url: string) => url.replace(/.*node_modules\//, 'nm/').replace(/^.*?\/(src|bench|test|e2e|examples)\//, '$1/');
const nameOf = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
function packageOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName}`;
  const dependency = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  const own = /\/((?:src|test)\/[^/]+|bench|e2e|examples)\//.exec(url);
  if (own) return own[1]!;
  return url.startsWith('node:') ? `node:${url.slice(5).split('/').slice(0, 2).join('/')}` : url;
}

function bySelf(file: string, key: (node: ProfileNode) => string) {
  const { byId, hits, total } = load(file);
  const sums = new Map<string, number>();
  for (const [id, t] of hits) {
    const k = key(byId.get(id)!);
    sums.set(k, (sums.get(k) ?? 0) + t);
  }
  return { sums, total };
}

function print(sums: Map<string, number>, total: number, count: number): void {
  console.log(`total ${(total / 1000).toFixed(0)} ms`);
  for (const [k, t] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'top' || command === 'packages') {
  const { sums, total } = bySelf(args[0]!, command === 'top' ? nameOf : packageOf);
  print(sums, total, Number(args[1] ?? 40));
} else if (command === 'inclusive') {
  const { byId, parent, hits, total } = load(args[0]!);
  const sums = new Map<string, number>();
  for (const [id, t] of hits) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = nameOf(byId.get(at)!);
      if (!seen.has(k)) sums.set(k, (sums.get(k) ?? 0) + t);
      seen.add(k);
    }
  }
  print(sums, total, Number(args[1] ?? 60));
} else if (command === 'diff') {
  const [a, na, b, nb] = args;
  const left = bySelf(a!, nameOf).sums;
  const right = bySelf(b!, nameOf).sums;
  const rows = [...new Set([...left.keys(), ...right.keys()])].map((k) => {
    const x = (left.get(k) ?? 0) / Number(na);
    const y = (right.get(k) ?? 0) / Number(nb);
    return { k, x, y, d: x - y };
  });
  const busy = (side: 'x' | 'y') => rows.filter((r) => !r.k.startsWith('(idle)')).reduce((sum, r) => sum + r[side], 0);
  console.log(`µs per request (idle excluded): a ${busy('x').toFixed(1)}, b ${busy('y').toFixed(1)}\n   a-b       a       b`);
  const line = (r: (typeof rows)[number]) => console.log(`${r.d.toFixed(2).padStart(7)} ${r.x.toFixed(2).padStart(7)} ${r.y.toFixed(2).padStart(7)}  ${r.k}`);
  const sorted = rows.sort((p, q) => q.d - p.d);
  sorted.slice(0, 30).forEach(line);
  // The other end: what the baseline spends and a does not (often the same work under another frame's name).
  console.log('   …');
  sorted.slice(-10).filter((r) => r.d < 0).forEach(line);
} else if (command === 'callers') {
  const { byId, parent, hits } = load(args[0]!);
  const pattern = new RegExp(args[1]!);
  const stacks = new Map<string, number>();
  for (const [id, t] of hits) {
    if (!pattern.test(nameOf(byId.get(id)!))) continue;
    const chain: string[] = [];
    for (let at = parent.get(id); at !== undefined && chain.length < 5; at = parent.get(at)) chain.push(nameOf(byId.get(at)!));
    const k = chain.join(' < ');
    stacks.set(k, (stacks.get(k) ?? 0) + t);
  }
  for (const [k, t] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`);
} else {
  console.error('usage: bench/profile.ts top|inclusive|packages|diff|callers … (see the comment at the top)');
  process.exitCode = 2;
}
