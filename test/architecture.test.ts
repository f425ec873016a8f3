// The house rules of ../shared/reference/architecture.md, checked on the import graph of sim/ and
// analysis/: the engine imports nothing from the domain, nothing downstream reaches back upstream,
// analysis never reads engine internals, and imports loop neither between files nor between
// folders. Imports are read with the TypeScript parser. Type-only imports count too: they are
// erased before running, but a loop through them is still two modules that each need the other
// to be understood (and what madge and the like report).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => normalize(join(dir, f)).split('\\').join('/'))
    .sort();
}

/** Relative imports of one file (value, type-only, re-export, side-effect and dynamic), as repo paths ('sim/engine/heap.ts'). */
export function fileImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      if (a && ts.isStringLiteralLike(a)) specs.push(a.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) specs.push(node.argument.literal.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s)).split('\\').join('/'));
}

function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of [...sourceFiles('sim'), ...sourceFiles('analysis')]) g.set(f, fileImports(f, readFileSync(join(ROOT, f), 'utf8')));
  return g;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(g: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) strong(v);
  return out;
}

const edges = (g: Map<string, string[]>, from: (f: string) => boolean, to: (f: string) => boolean): string[] =>
  [...g].flatMap(([f, ds]) => (from(f) ? ds.filter(to).map((d) => `${f} -> ${d}`) : []));

describe('architecture: the import graph of sim/ and analysis/', () => {
  const g = importGraph();

  it('reads the imports of every source file (the graph is not empty)', () => {
    expect(g.size).toBeGreaterThan(100);
    expect(g.get('sim/engine/engine.ts')).toContain('sim/engine/heap.ts');
  });

  it('the engine imports nothing outside sim/engine', () => {
    expect(edges(g, (f) => f.startsWith('sim/engine/'), (d) => !d.startsWith('sim/engine/'))).toEqual([]);
  });

  it('nothing in sim/ but the CLI imports analysis/ (results flow to analysis, never back)', () => {
    expect(edges(g, (f) => f.startsWith('sim/') && !f.startsWith('sim/cli/'), (d) => d.startsWith('analysis/'))).toEqual([]);
  });

  it('analysis/ never imports engine internals', () => {
    expect(edges(g, (f) => f.startsWith('analysis/'), (d) => d.startsWith('sim/engine/'))).toEqual([]);
  });

  it('hardware and workload math import no event-loop, network or domain module', () => {
    const pure = (f: string) => f.startsWith('sim/hardware/') || f.startsWith('sim/workload/');
    const stateful = /^sim\/(engine|world|network|edge|caching|delivery|inference|training|metrics|cli)\//;
    expect(edges(g, pure, (d) => stateful.test(d))).toEqual([]);
  });

  it('the shared helpers in sim/common import nothing in sim/ but the engine', () => {
    for (const f of ['units', 'csv', 'errors', 'distributions', 'registry']) expect(g.has(`sim/common/${f}.ts`), f).toBe(true);
    expect(edges(g, (f) => f.startsWith('sim/common/'), (d) => !d.startsWith('sim/common/') && !d.startsWith('sim/engine/'))).toEqual([]);
  });

  it('imports between files do not loop (type-only imports included)', () => {
    expect(importCycles(g)).toEqual([]);
  });

  it('every folder has a layer, and imports only point to lower layers (so folders do not loop either)', () => {
    const folders = new Set([...g.keys()].map(folderOf));
    expect([...folders].filter((f) => !(f in LAYER))).toEqual([]);
    const upward = [...g].flatMap(([f, ds]) =>
      ds.filter((d) => folderOf(d) !== folderOf(f) && LAYER[folderOf(d)]! >= LAYER[folderOf(f)]!).map((d) => `${f} -> ${d}`),
    );
    expect(upward).toEqual([]);
    expect(importCycles(folderGraph(g))).toEqual([]);
  });
});

/**
 * The folders of sim/ (and analysis/ as one) in dependency order: a file may import files of its own
 * folder and of lower layers only. Data flows scenario -> world -> events -> metrics -> analysis;
 * the scenario loader assembles the domains' schemas, the world composes the domains, and domain
 * folders never reach back into either.
 */
const LAYER: Record<string, number> = {
  'sim/engine': 0,
  'sim/metrics': 0,
  'sim/workload': 0,
  'sim/paths.ts': 0,
  'sim/version.ts': 1,
  'sim/common': 1,
  'sim/world': 1,
  'sim/hardware': 2,
  'sim/calibration': 3,
  'sim/network': 3,
  'sim/caching': 4,
  'sim/edge': 4,
  'sim/delivery': 5,
  'sim/inference': 5,
  'sim/training': 5,
  'sim/scenario': 6,
  'sim/run': 7,
  analysis: 8,
  'sim/cli': 9,
};

/** 'sim/caching/online/fetch.ts' -> 'sim/caching'; every file of analysis/ -> 'analysis'. */
export function folderOf(file: string): string {
  return file.startsWith('analysis/') ? 'analysis' : file.split('/').slice(0, 2).join('/');
}

/** The import graph with files merged into their folders (imports within a folder dropped). */
export function folderGraph(g: Map<string, string[]>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const [f, ds] of g) {
    const a = folderOf(f);
    const set = out.get(a) ?? out.set(a, new Set()).get(a)!;
    for (const d of ds) if (folderOf(d) !== a) set.add(folderOf(d));
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

describe('architecture: the checks themselves', () => {
  it('reads every kind of relative import, type-only included, and skips packages', () => {
    const text = [
      "import type { A } from './a.ts';",
      "import { type B } from './b.ts';",
      "import { type C, d } from './c.ts';",
      "import e from '../e.ts';",
      "export { f } from './f.ts';",
      "export type { G } from './g.ts';",
      "const h = await import('./h.ts');",
      "let i: import('./i.ts').I;",
      "import './j.ts';",
      "import 'node:fs';",
      "import { z } from 'zod';",
    ].join('\n');
    expect(fileImports('sim/x/y.ts', text)).toEqual(['sim/x/a.ts', 'sim/x/b.ts', 'sim/x/c.ts', 'sim/e.ts', 'sim/x/f.ts', 'sim/x/g.ts', 'sim/x/h.ts', 'sim/x/i.ts', 'sim/x/j.ts']);
  });

  it('finds a loop of three files and a self-import, and nothing in a chain', () => {
    const loop = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(importCycles(loop)).toEqual([['a', 'b', 'c'], ['d']]);
    expect(importCycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it('merges files into folders, so two folders importing each other form a loop', () => {
    const g = new Map([
      ['sim/a/x.ts', ['sim/b/y.ts', 'sim/a/z.ts']],
      ['sim/a/z.ts', []],
      ['sim/b/y.ts', ['sim/b/w.ts']],
      ['sim/b/w.ts', ['sim/a/z.ts']],
      ['analysis/p/q.ts', ['sim/a/x.ts']],
    ]);
    expect(importCycles(g)).toEqual([]);
    expect(folderGraph(g)).toEqual(new Map([['sim/a', ['sim/b']], ['sim/b', ['sim/a']], ['analysis', ['sim/a']]]));
    expect(importCycles(folderGraph(g))).toEqual([['sim/a', 'sim/b']]);
  });
});
