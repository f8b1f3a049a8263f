// Reads dialect files from disk for the pure codec: built-in names need no I/O, anything else is a
// path to a JSON dialect document, validated and compiled by the core (errors name the bad entry).
import { readFileSync, statSync } from 'node:fs';
import { getDialect, type Dialect } from '../../core/iso8583/index.ts';

/** Dialect documents are small; a larger file is a mistake, not a dialect. */
const dialectFileBytesMax = 1024 * 1024;

/** The text of a dialect file, refusing anything that is not a regular file of sane size. */
export function readDialectFileText(path: string): string {
  const stats = statSync(path);
  if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
  if (stats.size > dialectFileBytesMax) throw Object.assign(new Error('file too large'), { code: 'EFBIG' });
  return readFileSync(path, 'utf8');
}

/** A built-in dialect by name ('iso87-ascii', 'cups-pos') or a JSON dialect file by path; compiled once and cached. */
export function loadDialect(nameOrPath: string): Dialect {
  return getDialect(nameOrPath, readDialectFileText);
}
