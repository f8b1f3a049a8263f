import { defineErrors } from './error-definition.ts';

/** Errors that belong to no single area. Codes are stable: add new ones, never rename or reuse. */
export const generalErrors = defineErrors([
  {
    code: 'RSW_INTERNAL',
    messageTemplate: 'internal error: {detail}',
    httpStatus: 500,
    isoResponseCode: '96',
    description: 'An unexpected fault inside reswipe. The log has the details (never card data); report it.',
  },
  {
    code: 'RSW_BAD_ARGUMENT',
    messageTemplate: '{field}: {reason}',
    httpStatus: 400,
    description: 'A command-line argument or API parameter is malformed; the message names it and says why.',
  },
] as const);
