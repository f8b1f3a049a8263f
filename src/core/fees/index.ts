// The fee and settlement core: plans as data, exact fen arithmetic, business dates, batches, statements.
export * from './fee-plan.ts';
export * from './validate-fee-plans.ts';
export * from './round-half-up.ts';
export * from './compute-fee.ts';
export * from './refund-fee.ts';
export * from './business-date.ts';
export * from './holiday-calendar.ts';
export * from './payout-date.ts';
export * from './settlement-batch.ts';
export * from './statement-csv.ts';
export * from './builtin-fee-plans.ts';
export * from './parse-yuan.ts';
