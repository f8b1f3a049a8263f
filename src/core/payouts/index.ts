// Payout rules (docs/payouts.md): the state machine, reason codes, expected arrival, account checks.
export * from './payout-reasons.ts';
export * from './payout-state.ts';
export * from './expected-arrival.ts';
export * from './payout-account.ts';
export * from './payout-view.ts';
export * from './answer-file-limits.ts';
