/** One entry of the error catalogue: a stable code, a message template, an HTTP status and the ISO 8583 response code where one applies. */
export interface ErrorDefinition {
  /** Stable, never renamed or reused. Upper snake case with the `RSW_` prefix. */
  readonly code: string;
  /** Message with `{name}` placeholders filled from the error's params. Never holds card data. */
  readonly messageTemplate: string;
  readonly httpStatus: number;
  /** The DE 39 value a terminal gets for this error, when the error reaches a terminal. */
  readonly isoResponseCode?: string;
  /** One sentence for docs/errors.md: when it happens and what to do. */
  readonly description: string;
}

/** Declares a list of definitions with their literal codes kept as a type. */
export function defineErrors<const T extends readonly ErrorDefinition[]>(definitions: T): T {
  return definitions;
}
