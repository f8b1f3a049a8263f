import { errorCatalogue, type ErrorCode } from './catalogue.ts';

export type ErrorParams = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * An operating fault (bad input, I/O, timeout, malformed frame, bad config) with a stable code.
 * Business outcomes such as declines are values, never this error; broken invariants are assertions.
 */
export class ReswipeError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  readonly httpStatus: number;
  readonly isoResponseCode: string | undefined;
  /** The field, key or path the error concerns (`channels[0].timeoutMs`, `55.9F02`), when there is one. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, params: ErrorParams = {}, options: { cause?: unknown } = {}) {
    const definition = errorCatalogue.get(code);
    if (definition === undefined) throw new Error(`unknown error code ${code}`);
    super(formatMessage(definition.messageTemplate, params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReswipeError';
    this.code = code;
    this.params = params;
    this.httpStatus = definition.httpStatus;
    this.isoResponseCode = definition.isoResponseCode;
    this.field = typeof params.field === 'string' ? params.field : undefined;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, field: this.field, params: this.params };
  }
}

export function isReswipeError(error: unknown, code?: ErrorCode): error is ReswipeError {
  return error instanceof ReswipeError && (code === undefined || error.code === code);
}

/** Fills `{name}` placeholders; a missing param stays visible as `{name}` so the gap is noticed. */
export function formatMessage(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}
