// Goal: the layers of docs/architecture.md hold for every file, not only for core: core imports only
// core; an adapter imports core and its own folder (never another adapter, the app, the CLI or the
// simulators); sim imports core and adapters; app imports core, adapters and sim; cli imports app,
// core, adapters and sim; nothing imports cli; and no two files import each other, however indirectly.
// Method: the relative imports of every file under src/ (type imports count), checked against the
// rules; known violations are an explicit allow-list that may only shrink: a new violation fails, and
// so does a listed one that was fixed (remove it from the list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sourceImportGraph } from './source-imports.ts';

type Layer = 'core' | 'adapters' | 'sim' | 'app' | 'cli';

/** What each layer may import besides itself (an adapter: only its own folder of src/adapters). */
const mayImport: Readonly<Record<Layer, readonly Layer[]>> = {
  core: [],
  adapters: ['core'],
  sim: ['core', 'adapters'],
  app: ['core', 'adapters', 'sim'],
  cli: ['core', 'adapters', 'sim', 'app'],
};

/** Imports that break the rules: none today. A new one fails; route it through a port in src/core/ports and the composition root. */
const allowedViolations: ReadonlySet<string> = new Set<string>([]);

/** Import cycles that exist today (their files, sorted); same rule: a new one fails, a fixed one must leave the list. */
const allowedCycles: ReadonlySet<string> = new Set<string>([]);

function layerOf(path: string): { layer: Layer; folder: string } | null {
  const [top, layer, folder] = path.split('/');
  if (top !== 'src') return null;
  if (layer === 'core' || layer === 'sim' || layer === 'app' || layer === 'cli') return { layer, folder: '' };
  if (layer === 'adapters') return { layer, folder: folder ?? '' };
  return null;
}

/** `from -> to` for every import that breaks the layer rules (anything outside src/ included). */
function layerViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const violations: string[] = [];
  for (const [from, targets] of graph) {
    const source = layerOf(from);
    if (source === null) continue;
    for (const to of targets) {
      const target = layerOf(to);
      const allowed =
        target !== null &&
        (target.layer === source.layer ? source.layer !== 'adapters' || target.folder === source.folder : mayImport[source.layer].includes(target.layer));
      if (!allowed) violations.push(`${from} -> ${to}`);
    }
  }
  return violations.sort();
}

/** Every set of two or more files that import each other (Tarjan's strongly connected components). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort().join(', '));
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles.sort();
}

const graph = sourceImportGraph();

test('every layer imports only what docs/architecture.md allows; the known violations only shrink', () => {
  assert.ok(graph.size > 100, 'the sources were read');
  const violations = layerViolations(graph);
  assert.deepEqual(violations.filter((violation) => !allowedViolations.has(violation)), [], 'new imports across layers: route them through a port in src/core/ports and the composition root');
  assert.deepEqual([...allowedViolations].filter((violation) => !violations.includes(violation)), [], 'fixed: remove these from allowedViolations');
});

test('the terminal link imports only core: it reaches the use cases through src/core/ports', () => {
  const terminalLink = [...graph].filter(([from]) => from.startsWith('src/adapters/terminal-link/'));
  assert.ok(terminalLink.length >= 5);
  for (const [from, targets] of terminalLink) {
    for (const to of targets) assert.ok(to.startsWith('src/core/') || to.startsWith('src/adapters/terminal-link/'), `${from} -> ${to}`);
  }
});

test('no import cycles between files; the known ones only shrink', () => {
  const cycles = importCycles(graph);
  assert.deepEqual(cycles.filter((cycle) => !allowedCycles.has(cycle)), []);
  assert.deepEqual([...allowedCycles].filter((cycle) => !cycles.includes(cycle)), [], 'fixed: remove these from allowedCycles');
});

test('the checks themselves catch each kind of break', () => {
  const sample = new Map<string, string[]>([
    ['src/core/a.ts', ['src/adapters/store/b.ts']],
    ['src/adapters/store/b.ts', ['src/core/a.ts', 'src/adapters/log/c.ts', 'src/adapters/store/d.ts']],
    ['src/adapters/store/d.ts', ['src/app/e.ts']],
    ['src/adapters/log/c.ts', []],
    ['src/app/e.ts', ['src/cli/f.ts', 'src/adapters/log/c.ts', 'src/sim/g.ts']],
    ['src/sim/g.ts', ['src/app/e.ts', 'test/support/h.ts']],
    ['src/cli/f.ts', ['src/app/e.ts', 'src/core/a.ts']],
  ]);
  assert.deepEqual(layerViolations(sample), [
    'src/adapters/store/b.ts -> src/adapters/log/c.ts',
    'src/adapters/store/d.ts -> src/app/e.ts',
    'src/app/e.ts -> src/cli/f.ts',
    'src/core/a.ts -> src/adapters/store/b.ts',
    'src/sim/g.ts -> src/app/e.ts',
    'src/sim/g.ts -> test/support/h.ts',
  ]);
  assert.deepEqual(importCycles(sample), ['src/adapters/store/b.ts, src/adapters/store/d.ts, src/app/e.ts, src/cli/f.ts, src/core/a.ts, src/sim/g.ts']);
  assert.deepEqual(importCycles(new Map([['src/core/a.ts', ['src/core/b.ts']], ['src/core/b.ts', []]])), []);
});
