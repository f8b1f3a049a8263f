import type { Dialect } from './iso-message.ts';
import { ReswipeError } from '../errors/reswipe-error.ts';
export const builtInDialectNames = ['iso87-ascii', 'cups-pos'] as const;
export function compileDialect(document: unknown, source: string): Dialect {
  void document;
  throw new ReswipeError('RSW_INTERNAL', { detail: `dialect compiler not yet written (${source})` });
}
export function getDialect(nameOrPath: string, readText?: (path: string) => string): Dialect {
  void readText;
  throw new ReswipeError('RSW_INTERNAL', { detail: `dialect compiler not yet written (${nameOrPath})` });
}
