// Reconciliation with the channels (对账): layouts, line parsing, matching decisions, tolerance rules,
// likely causes and the discrepancy queue. Pure; docs/reconciliation.md.
export * from './clearing-layout.ts';
export * from './parse-clearing-line.ts';
export * from './tolerance-rules.ts';
export * from './journal-entry.ts';
export * from './decide-line-match.ts';
export * from './discrepancy-queue.ts';
export * from './channel-format.ts';
