// Small checks for data files loaded into the core: each failure throws RSW_DECLINE_DATA_INVALID
// naming the file and the JSON path of the bad entry, so an operator can fix it at once.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { isMember } from '../vocabulary.ts';

export class DataReader {
  constructor(readonly file: string) {}

  fail(path: string, reason: string): never {
    throw new ReswipeError('RSW_DECLINE_DATA_INVALID', { file: this.file, field: path, reason });
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'expected an object');
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string, itemsMax: number): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'expected an array');
    if (value.length > itemsMax) this.fail(path, `more than ${itemsMax} entries`);
    return value;
  }

  string(value: unknown, path: string, pattern?: RegExp): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(path, 'expected a non-empty string');
    if (pattern !== undefined && !pattern.test(value)) this.fail(path, `"${value}" does not match ${String(pattern)}`);
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }

  member<T extends string>(list: readonly T[], value: unknown, path: string): T {
    if (!isMember(list, value)) this.fail(path, `expected one of ${list.join(', ')}`);
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(path, `expected an integer from ${min} to ${max}`);
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'expected true or false');
    return value;
  }

  bilingual(value: unknown, path: string): { zh: string; en: string } {
    const text = this.object(value, path);
    return Object.freeze({ zh: this.string(text.zh, `${path}.zh`), en: this.string(text.en, `${path}.en`) });
  }
}

/** Freezes an object graph made of plain objects and arrays. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
