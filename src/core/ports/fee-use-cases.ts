// What the fee and settlement routes call (docs/fees.md, docs/settlement.md). The use cases live in
// src/app/fees; the composition root binds them to the store, so the HTTP adapter depends on this port
// only (docs/architecture.md, "Layers").
import type { FeePlan, FeePlanSet, SettleMode } from '../fees/fee-plan.ts';
import type { AuditRecord } from './store.ts';

export interface FeeComparisonRow {
  readonly method: string;
  readonly payments: number;
  readonly amountMinor: number;
  readonly currentFeesMinor: number;
  readonly whatIfFeesMinor: number;
}

export interface FeeComparison {
  readonly merchantId: string;
  readonly fromDate: string;
  readonly toDate: string;
  readonly currentPlan: string;
  readonly plan: string;
  readonly payments: number;
  readonly amountMinor: number;
  /** Fees recorded for those sales (their `fee` lines, before refunds, voids being excluded). */
  readonly currentFeesMinor: number;
  readonly whatIfFeesMinor: number;
  /** whatIf - current: positive means the other plan costs the merchant more. */
  readonly differenceMinor: number;
  readonly byMethod: readonly FeeComparisonRow[];
}

export interface FeeComparisonInput {
  merchantId: string;
  fromDate: string;
  toDate: string;
  plan: string;
  plans: FeePlanSet;
  timeZone: string;
  cutoff?: string | undefined;
  settleMode: SettleMode;
}

/** Where a business day is cut, for reading a settlement batch's statement. */
export interface StatementDay {
  readonly timeZone: string;
  readonly cutoff?: string | undefined;
}

export interface FeeUseCases {
  /** The fee plans in force on this node now (they change when any node changes one). */
  plans(): FeePlanSet;
  /** Stores a validated plan for every node with its audit record in the same write; resolves once this node prices with it. */
  putPlan(plan: FeePlan, audit: AuditRecord): Promise<void>;
  /** A merchant's approved sales of a period priced again under another plan; reads only. */
  compare(input: FeeComparisonInput): Promise<FeeComparison>;
  /** The statement (对账单) CSV of a settlement batch. */
  exportStatement(merchantId: string, businessDate: string, day: StatementDay): Promise<string>;
}
