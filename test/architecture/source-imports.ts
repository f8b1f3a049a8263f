// The sources under src/ and the relative imports of each, for the architecture tests. Comments are
// stripped first so an import written in a comment is no import; `import type` counts like any import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every module specifier of static imports, re-exports, side-effect imports and dynamic import() with a literal. */
export function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) specifiers.push((match[1] ?? match[2] ?? match[3]) as string);
  return specifiers;
}

/** File-to-file edges of the relative imports under src/, as repository-relative paths (`src/core/...`). */
export function sourceImportGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of listSources(join(repoRoot, 'src'))) {
    const targets = importsOf(stripComments(readFileSync(file, 'utf8')))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => relative(repoRoot, resolve(dirname(file), specifier)).split('\\').join('/'));
    graph.set(relative(repoRoot, file).split('\\').join('/'), targets);
  }
  return graph;
}
