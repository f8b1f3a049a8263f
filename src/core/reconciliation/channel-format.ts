// A channel's reconciliation settings as one format file, `<formatsDir>/<channel>.json`
// (docs/reconciliation.md): the clearing-file layout, the tolerance rules and the channel's own
// daily cut-off (日切), which decides which of the gateway's sales belong to the channel's day.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { defaultClearingLayout, validateClearingLayout, type ClearingLayout } from './clearing-layout.ts';
import { defaultToleranceRules, validateToleranceRules, type ToleranceRules } from './tolerance-rules.ts';

export interface ChannelFormat {
  readonly layout: ClearingLayout;
  readonly tolerance: ToleranceRules;
  /** HH:MM in the settlement time zone; 23:00 like the gateway's own settlement unless the channel says otherwise. */
  readonly cutoff: string;
}

export const defaultChannelFormat: ChannelFormat = Object.freeze({ layout: defaultClearingLayout, tolerance: defaultToleranceRules, cutoff: '23:00' });

/** Validates a format file's JSON: `{ "layout": {...}?, "tolerance": {...}?, "cutoff": "HH:MM"? }`. */
export function validateChannelFormat(input: unknown): ChannelFormat {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout: '?', reason: 'a format file must be a JSON object', field: '' });
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'layout' && key !== 'tolerance' && key !== 'cutoff') throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout: '?', reason: `${key} is not a format-file key (layout, tolerance, cutoff)`, field: key });
  }
  const layout = record.layout === undefined ? defaultClearingLayout : validateClearingLayout(record.layout);
  const cutoff = record.cutoff === undefined ? '23:00' : typeof record.cutoff === 'string' && /^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(record.cutoff) ? record.cutoff : null;
  if (cutoff === null) throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout: layout.name, reason: 'cutoff must be HH:MM', field: 'cutoff' });
  return Object.freeze({ layout, tolerance: validateToleranceRules(record.tolerance), cutoff });
}
