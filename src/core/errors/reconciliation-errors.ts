import { defineErrors } from './error-definition.ts';

/**
 * Errors of reconciliation with the channels (对账): clearing-file layouts, imports and the discrepancy
 * queue (docs/reconciliation.md). Codes are stable: add new ones, never rename or reuse. A refused
 * import leaves no run behind; a refused queue action changes nothing.
 */
export const reconciliationErrors = defineErrors([
  {
    code: 'RSW_RECON_LAYOUT_INVALID',
    messageTemplate: 'clearing-file layout {layout}: {reason}',
    httpStatus: 400,
    description: 'A channel\'s clearing-file layout (the default CSV, or a format file) is not valid; the field names the layout key. Fix the format file: nothing was imported.',
  },
  {
    code: 'RSW_RECON_LINE_INVALID',
    messageTemplate: 'clearing file line {lineNo}: {reason}',
    httpStatus: 400,
    description: 'A line of the clearing file does not fit the channel\'s layout (a missing column, a bad amount or date); the field names the layout field. Usually the layout is the wrong one for this file. The import is refused as a whole.',
  },
  {
    code: 'RSW_RECON_FILE_TOO_LARGE',
    messageTemplate: 'clearing file {what} over the limit of {limit}',
    httpStatus: 413,
    description: 'A clearing file has more lines, or a line more bytes, than the configured bounds; raise them only if the channel really sends such files.',
  },
  {
    code: 'RSW_RECON_ALREADY_IMPORTED',
    messageTemplate: 'the clearing file of {channel} for {businessDate} was already imported as run {runId}',
    httpStatus: 409,
    description: 'One clearing file per channel and day is reconciled; the earlier run and its discrepancies stand. A channel that resends a corrected file is a new discrepancy to note, not a second run.',
  },
  {
    code: 'RSW_RECON_RUN_NOT_FOUND',
    messageTemplate: 'no reconciliation run {runId}',
    httpStatus: 404,
    description: 'No reconciliation run has this id; list them with `reswipe recon list`.',
  },
  {
    code: 'RSW_RECON_DISCREPANCY_NOT_FOUND',
    messageTemplate: 'no discrepancy {discrepancyId}',
    httpStatus: 404,
    description: 'No discrepancy has this id; list them with `reswipe recon list --discrepancies`.',
  },
  {
    code: 'RSW_RECON_ACTION_REFUSED',
    messageTemplate: 'discrepancy {discrepancyId} is {state}: {reason}',
    httpStatus: 409,
    description: 'The action does not fit the discrepancy\'s state (a resolved or written-off discrepancy is final) or lacks what it needs (an adjustment needs a merchant and an amount).',
  },
  {
    code: 'RSW_RECON_CHANGED',
    messageTemplate: 'discrepancy {discrepancyId} changed while this action was decided; read it again',
    httpStatus: 409,
    description: 'Another operator acted on the same discrepancy at the same moment; nothing was changed by this action. Read the discrepancy again and decide.',
  },
]);
