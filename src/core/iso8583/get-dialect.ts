// The built-in dialects, compiled once on first use, and dialect files read through an injected
// reader so this module stays pure (the adapter src/adapters/iso8583/load-dialect-file.ts passes fs).
import { ReswipeError } from '../errors/reswipe-error.ts';
import { compileDialect } from './compiled-dialect.ts';
import iso87Ascii from './dialects/iso87-ascii.json' with { type: 'json' };
import cupsPos from './dialects/cups-pos.json' with { type: 'json' };
import type { Dialect } from './iso-message.ts';

export { compileDialect };

export const builtInDialectNames = ['iso87-ascii', 'cups-pos'] as const;
export type BuiltInDialectName = (typeof builtInDialectNames)[number];

const builtInDocuments: Readonly<Record<BuiltInDialectName, unknown>> = { 'iso87-ascii': iso87Ascii, 'cups-pos': cupsPos };
const compiled = new Map<string, Dialect>();
const fileDialectsMax = 64;

function isBuiltIn(name: string): name is BuiltInDialectName {
  return (builtInDialectNames as readonly string[]).includes(name);
}

/**
 * A compiled dialect: 'iso87-ascii' or 'cups-pos', or a path to a JSON dialect file read with
 * `readText` (the adapter's loadDialect passes one). Compiled once and cached per name or path.
 */
export function getDialect(nameOrPath: string, readText?: (path: string) => string): Dialect {
  const cached = compiled.get(nameOrPath);
  if (cached !== undefined) return cached;
  let dialect: Dialect;
  if (isBuiltIn(nameOrPath)) {
    dialect = compileDialect(builtInDocuments[nameOrPath], nameOrPath);
  } else {
    if (readText === undefined) {
      throw new ReswipeError('RSW_CODEC_UNKNOWN_DIALECT', {
        field: nameOrPath,
        reason: `built in are ${builtInDialectNames.join(', ')}; a dialect file is loaded with loadDialect from src/adapters/iso8583`,
      });
    }
    let text: string;
    try {
      text = readText(nameOrPath);
    } catch (error) {
      throw new ReswipeError('RSW_CODEC_UNKNOWN_DIALECT', { field: nameOrPath, reason: `not built in and not readable as a file (${(error as { code?: string }).code ?? 'read failed'})` });
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new ReswipeError('RSW_CODEC_BAD_DIALECT', { source: nameOrPath, field: '(document)', reason: 'not valid JSON' });
    }
    dialect = compileDialect(document, nameOrPath);
  }
  if (compiled.size < fileDialectsMax + builtInDialectNames.length) compiled.set(nameOrPath, dialect);
  return dialect;
}
