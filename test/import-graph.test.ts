// The import graph between src/ folders: no folder may reach itself through another (a cycle
// means two layers are really one), and each folder imports only what its note allows.
//
// A node is a top-level folder of src/ (src/server/apis/x.ts belongs to `server`), or one of the
// files directly in src/ (`cluster.ts`, `logger.ts`, …: entry points and the logger, each its own
// node). Edges come from every relative `import … from`, `export … from`, side-effect `import '…'`
// and type-position `import('…')` in src/**/*.ts; the generated codecs in src/protocol/messages/
// are skipped as importers (they import only protocol/primitives).
//
// Each folder says in its README.md what lives there and, on a `May import:` line, which nodes
// it may import (backticked names, up to a "—"); an import outside that list fails here too, so
// the notes cannot drift from the code. Files directly in src/ are entry points: only the cycle
// check applies to them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
const GENERATED = path.join(SRC, 'protocol', 'messages');

/** One import between nodes, with the file and specifier it came from (for messages). */
interface Edge {
  from: string;
  to: string;
  file: string;
  specifier: string;
  /** The imported file, relative to src/, with its .ts name. */
  target: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== GENERATED) out.push(...sourceFiles(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

/** The relative module specifiers one source text imports. */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(SPECIFIER)].map((m) => m[2]!).filter((s) => s.startsWith('.'));
}

/** The node a file under src/ belongs to. */
function nodeOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? rel[0]!.replace(/\.js$/, '.ts') : rel[0]!;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const specifier of importSpecifiers(fs.readFileSync(file, 'utf8'))) {
      const target = path.resolve(path.dirname(file), specifier);
      if (path.relative(SRC, target).startsWith('..')) continue;
      const from = nodeOf(file);
      const to = nodeOf(target);
      if (from !== to) edges.push({ from, to, file: path.relative(SRC, file), specifier, target: path.relative(SRC, target).replace(/\.js$/, '.ts') });
    }
  }
  return edges;
}

/** Every strongly connected group of more than one node (Tarjan), each as a cycle through it. */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  // Name one cycle per group: from its first node, breadth-first back to it within the group.
  return groups.map((group) => {
    const members = new Set(group);
    const start = [...group].sort()[0]!;
    const parent = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of [...(graph.get(v) ?? [])].sort()) {
        if (!members.has(w)) continue;
        if (w === start) {
          const cycle = [v];
          while (cycle[0] !== start) cycle.unshift(parent.get(cycle[0]!)!);
          return [...cycle, start];
        }
        if (!parent.has(w)) {
          parent.set(w, v);
          queue.push(w);
        }
      }
    }
    throw new Error(`no cycle through ${start}`);
  });
}

function graphOf(edges: Edge[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    if (!graph.has(e.to)) graph.set(e.to, new Set());
    graph.get(e.from)!.add(e.to);
  }
  return graph;
}

function describeCycle(cycle: string[], edges: Edge[]): string {
  const hops = cycle.slice(1).map((to, i) => {
    const from = cycle[i]!;
    const via = edges.filter((e) => e.from === from && e.to === to).map((e) => `${e.file} → ${e.specifier}`);
    return `  ${from} → ${to}: ${via.slice(0, 3).join(', ')}${via.length > 3 ? ` (+${via.length - 3} more)` : ''}`;
  });
  return `${cycle.join(' → ')}\n${hops.join('\n')}`;
}

/** The nodes a folder's README.md allows it to import, or a reason it cannot be read. */
export function allowedImports(readme: string): Set<string> | string {
  const at = readme.indexOf('May import:');
  if (at < 0) return 'no "May import:" line';
  const paragraph = readme.slice(at + 'May import:'.length).split(/\n\s*\n/)[0]!;
  return new Set([...paragraph.split('—')[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

function folders(): string[] {
  return fs
    .readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe('import graph between src/ folders', () => {
  const edges = importEdges();

  it('sees the imports it checks', () => {
    // Guards against a parser that finds nothing and so finds no cycle.
    const pairs = new Set(edges.map((e) => `${e.from}→${e.to}`));
    expect(pairs).toContain('server→protocol');
    expect(pairs).toContain('log→protocol');
    expect(pairs).toContain('cluster.ts→logger.ts');
    expect(importSpecifiers(`import type { A } from './a.js';\nexport * from "../b.js";\nimport './c.js';\nconst f = (w: import('../d.js').W) => w;\n// import { x } from './commented.js';\nimport fs from 'node:fs';`)).toEqual([
      './a.js',
      '../b.js',
      './c.js',
      '../d.js',
    ]);
  });

  it('finds a cycle when there is one', () => {
    const g = new Map<string, Set<string>>([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a', 'd'])],
      ['d', new Set()],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
    g.get('c')!.delete('a');
    expect(cycles(g)).toEqual([]);
  });

  it('reads a folder note', () => {
    const note = allowedImports('# x\n\nStuff.\n\nMay import: `protocol`, `util`,\n`logger.ts` — never `server`.\n\nMore.');
    expect(note).toEqual(new Set(['protocol', 'util', 'logger.ts']));
    expect(allowedImports('May import: nothing outside this folder.')).toEqual(new Set());
    expect(allowedImports('# x')).toBe('no "May import:" line');
  });

  it('each folder imports only what its README.md allows', () => {
    const problems: string[] = [];
    for (const folder of folders()) {
      const file = path.join(SRC, folder, 'README.md');
      const allowed = fs.existsSync(file) ? allowedImports(fs.readFileSync(file, 'utf8')) : 'no README.md';
      if (typeof allowed === 'string') {
        problems.push(`src/${folder}/: ${allowed}`);
        continue;
      }
      for (const e of edges.filter((e) => e.from === folder && !allowed.has(e.to))) {
        problems.push(`${e.file} imports ${e.specifier}, but src/${folder}/README.md does not allow \`${e.to}\``);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the broker reaches the controller only through replication/BrokerToController', () => {
    const controllerClasses = ['replication/Controller.ts', 'replication/ControllerApis.ts'].map((f) => f.split('/').join(path.sep));
    const direct = edges.filter((e) => e.from === 'server' && controllerClasses.includes(e.target)).map((e) => `${e.file} → ${e.specifier}`);
    expect(edges.some((e) => e.from === 'server' && e.target === path.join('replication', 'BrokerToController.ts'))).toBe(true);
    expect(direct).toEqual([]);
  });

  it('the HTTP control plane is reached only from the entry points', () => {
    const into = edges.filter((e) => e.to === 'http').map((e) => `${e.file} → ${e.specifier}`);
    expect(into.length).toBeGreaterThan(0);
    expect(edges.filter((e) => e.to === 'http' && !e.from.endsWith('.ts')).map((e) => `${e.file} → ${e.specifier}`)).toEqual([]);
    // The server side never depends on the control plane or on the cluster handle it drives.
    expect(edges.filter((e) => e.from === 'http' && e.to.endsWith('.ts') && e.to !== 'logger.ts').map((e) => `${e.file} → ${e.specifier}`)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const found = cycles(graphOf(edges));
    expect(found.map((c) => describeCycle(c, edges)), 'import cycles between src/ folders').toEqual([]);
  });
});
