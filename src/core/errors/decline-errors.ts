import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the decline area. Codes are stable: add new ones, never rename or reuse. */
export const declineErrors = defineErrors([
  {
    code: 'RSW_DECLINE_BAD_CODE',
    messageTemplate: '"{value}" is not a response code (two letters or digits, e.g. 51, A0, N7)',
    httpStatus: 400,
    isoResponseCode: '30',
    description: 'A response code given to `reswipe explain` or the decline API is malformed; give two letters or digits.',
  },
  {
    code: 'RSW_DECLINE_DATA_INVALID',
    messageTemplate: '{file} is invalid at {field}: {reason}',
    httpStatus: 500,
    isoResponseCode: '96',
    description: 'A decline data file (response codes, retry rules, symptoms or the BIN table) failed validation when loaded; fix the entry the message names.',
  },
  {
    code: 'RSW_DECLINE_BIN_TABLE_UNREADABLE',
    messageTemplate: 'cannot read the BIN table {file}: {reason}',
    httpStatus: 500,
    isoResponseCode: '96',
    description: 'The file named by `declines.binTableFile` is missing, unreadable or not JSON; fix the path or the file.',
  },
  {
    code: 'RSW_DECLINE_UNKNOWN_SYMPTOM',
    messageTemplate: 'no troubleshooting entry for symptom "{value}" (see `reswipe explain --symptoms`)',
    httpStatus: 404,
    description: 'The symptom id given to `reswipe explain --symptom` or the API is not in symptoms.json; list the ids with `reswipe explain --symptoms`.',
  },
  {
    code: 'RSW_DECLINE_UNKNOWN_EDITION',
    messageTemplate: 'no {scheme} retry-rule edition "{value}" (known: {known})',
    httpStatus: 400,
    description: 'A retry-rule edition was asked for that retry-rules.json does not define; use one of the editions listed.',
  },
] as const);
