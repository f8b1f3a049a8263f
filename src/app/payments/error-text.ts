// What a log line says of an error: its stable code, or its class name; never its message (which may
// quote input).
import { isReswipeError } from '../../core/errors/reswipe-error.ts';

export function errorText(error: unknown): string {
  return isReswipeError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
}
