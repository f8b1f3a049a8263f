// The analytics rollup part of the store (migration 0020, src/core/ports/analytics-store.ts), written
// once for both databases and mixed into SqlStoreReader and SqlStoreTx like notification-sql.ts.
import { addValues, emptyValues, latencyBucketCount, rollupCounterFields } from '../../core/analytics/rollup.ts';
import type { RollupContribution, RollupKey, RollupValues } from '../../core/analytics/rollup-model.ts';
import type { AnalyticsStoreReader, AnalyticsStoreTx, RescuePeer, RollupDimension, RollupSumQuery, RollupSumRow } from '../../core/ports/analytics-store.ts';
import { inListSlices, statementSlices, whereIf, type SqlExecutor, type SqlRow, type SqlValue } from './sql-executor.ts';
import { readInteger, readText, readTextOrNull } from './store-rows.ts';

/** Ids per batched read (the projector's batches are 256 entries). */
const idsPerReadMax = 1000;
/** Cards per rescue-peer statement. */
const rescueCardsPerStatement = 100;

/**
 * The three levels of the rollup (migration 0020), smallest first: a read takes the first level holding
 * every dimension it groups or filters by (and, for the daily level, only a day-aligned read).
 */
interface RollupLevel {
  readonly table: string;
  /** The time column: the UTC hour or the local day. */
  readonly time: 'hour_ms' | 'day_ms';
  readonly dimensions: ReadonlySet<RollupDimension>;
}
const rollupLevels: readonly RollupLevel[] = [
  { table: 'analytics_daily_terminals', time: 'day_ms', dimensions: new Set<RollupDimension>(['merchant', 'terminal', 'channel', 'outcome']) },
  { table: 'analytics_hourly_causes', time: 'hour_ms', dimensions: new Set<RollupDimension>(['merchant', 'cause', 'responseCode', 'party', 'verdict', 'cardType', 'brand', 'outcome']) },
  { table: 'analytics_hourly', time: 'hour_ms', dimensions: new Set<RollupDimension>(['merchant', 'terminal', 'channel', 'cause', 'responseCode', 'party', 'verdict', 'cardType', 'brand', 'outcome']) },
];

function levelFor(query: RollupSumQuery): RollupLevel {
  const needed = new Set<RollupDimension>(query.groupBy);
  if (query.terminalId !== undefined) needed.add('terminal');
  if (query.channel !== undefined) needed.add('channel');
  if (query.only !== undefined) needed.add(query.only.dimension);
  const level = rollupLevels.find((candidate) => (candidate.time === 'hour_ms' || query.dayAligned === true) && [...needed].every((dimension) => candidate.dimensions.has(dimension)));
  if (level === undefined) throw new Error('broken invariant: the detail level holds every dimension');
  return level;
}

/** A level's key columns, in its primary key's order. */
function keyColumnsOf(level: RollupLevel): string[] {
  return ['merchant_id', level.time, ...[...level.dimensions].filter((dimension) => dimension !== 'merchant').map((dimension) => dimensionColumns[dimension])];
}
const latencyColumns = Array.from({ length: latencyBucketCount }, (_, i) => `lat_b${i}`);
/** The rollup's counter columns, in the order of rollupCounterFields, then the latency buckets. */
const counterColumns: Readonly<Record<(typeof rollupCounterFields)[number], string>> = {
  payments: 'payments',
  amountMinor: 'amount_minor',
  attempts: 'attempts',
  extraAttempts: 'extra_attempts',
  recovered: 'recovered',
  recoveredMinor: 'recovered_minor',
  failovers: 'failovers',
  lost: 'lost',
  lostMinor: 'lost_minor',
  fallbacks: 'fallbacks',
  latencyCount: 'latency_count',
  latencySumMs: 'latency_sum_ms',
};
const valueColumns = [...rollupCounterFields.map((field) => counterColumns[field]), ...latencyColumns];

const dimensionColumns: Readonly<Record<RollupDimension, string>> = {
  merchant: 'merchant_id',
  terminal: 'terminal_id',
  channel: 'channel',
  cause: 'cause',
  responseCode: 'response_code',
  party: 'party',
  verdict: 'verdict',
  cardType: 'card_type',
  brand: 'brand',
  outcome: 'outcome',
};

const keyFields: Readonly<Record<RollupDimension, (key: RollupKey) => string>> = {
  merchant: (key) => key.merchantId,
  terminal: (key) => key.terminalId,
  channel: (key) => key.channel,
  cause: (key) => key.cause,
  responseCode: (key) => key.responseCode,
  party: (key) => key.party,
  verdict: (key) => key.verdict,
  cardType: (key) => key.cardType,
  brand: (key) => key.brand,
  outcome: (key) => key.outcome,
};

/** Per level, the key fields after the merchant and the time, in keyColumnsOf order: worked out once, not per row. */
const levelKeyFields = new Map<RollupLevel, ReadonlyArray<(key: RollupKey) => string>>(
  rollupLevels.map((level) => [level, [...level.dimensions].filter((dimension) => dimension !== 'merchant').map((dimension) => keyFields[dimension])]),
);

/** A key's values for a level's key columns (keyColumnsOf order). */
function keyValuesAt(level: RollupLevel, key: RollupKey): SqlValue[] {
  const values: SqlValue[] = [key.merchantId, integer(level.time === 'hour_ms' ? key.hourMs : key.dayMs)];
  for (const field of levelKeyFields.get(level) ?? []) values.push(field(key));
  return values;
}

/** Per level and number of rows, the upsert adding deltas: built once (a batch writes a few hundred rows, in a few statements). */
const addDeltasSqlCache = new Map<string, string>();
function addDeltasSql(level: RollupLevel, rowCount: number): string {
  const cacheKey = `${level.table}:${rowCount}`;
  let sql = addDeltasSqlCache.get(cacheKey);
  if (sql === undefined) {
    const keyColumns = keyColumnsOf(level);
    const columns = [...keyColumns, ...valueColumns];
    const placeholders = `(${columns.map(() => '?').join(', ')})`;
    const updates = valueColumns.map((column) => `${column} = ${level.table}.${column} + excluded.${column}`).join(', ');
    sql = `INSERT INTO ${level.table} (${columns.join(', ')}) VALUES ${Array.from({ length: rowCount }, () => placeholders).join(', ')} ON CONFLICT (${keyColumns.join(', ')}) DO UPDATE SET ${updates}`;
    addDeltasSqlCache.set(cacheKey, sql);
  }
  return sql;
}

/** A delta's values in valueColumns order, pushed onto `into` (one array per statement, not one per row). */
function pushValueValues(into: SqlValue[], values: RollupValues): void {
  for (const field of rollupCounterFields) into.push(integer(values[field]));
  for (let i = 0; i < latencyBucketCount; i++) into.push(integer(values.latencyBuckets[i] ?? 0));
}

function valuesOfRow(row: SqlRow): RollupValues {
  const values = emptyValues();
  for (const field of rollupCounterFields) values[field] = readInteger(row[counterColumns[field]], counterColumns[field]);
  values.latencyBuckets = latencyColumns.map((column) => readInteger(row[column], column));
  return values;
}

function integer(value: number): number {
  if (!Number.isSafeInteger(value)) throw new Error('store field must be a safe integer');
  return value;
}

function readJson<T>(value: unknown, column: string): T {
  if (typeof value === 'string') return JSON.parse(value) as T;
  if (typeof value === 'object' && value !== null) return value as T;
  throw new Error(`store column ${column} is not JSON`);
}

function checkedIds(ids: readonly string[]): readonly string[] {
  if (ids.length > idsPerReadMax) throw new Error(`broken invariant: at most ${idsPerReadMax} ids per analytics read`);
  return ids;
}

interface WithDb {
  readonly db: SqlExecutor;
}

export const analyticsReaderMethods: AnalyticsStoreReader & ThisType<WithDb> = {
  async sumRollup(query: RollupSumQuery): Promise<RollupSumRow[]> {
    const level = levelFor(query);
    const conditions = [`${level.time} >= ?`, `${level.time} < ?`];
    const params: SqlValue[] = [integer(query.fromMs), integer(query.toMs)];
    whereIf(conditions, params, query.merchantId, 'merchant_id = ?');
    if (query.merchantIds !== undefined) {
      if (query.merchantIds.length === 0) return [];
      conditions.push(`merchant_id IN (${checkedIds(query.merchantIds).map(() => '?').join(', ')})`);
      params.push(...query.merchantIds);
    }
    whereIf(conditions, params, query.terminalId, 'terminal_id = ?');
    whereIf(conditions, params, query.channel, 'channel = ?');
    if (query.only !== undefined) {
      if (query.only.values.length === 0) return [];
      conditions.push(`${dimensionColumns[query.only.dimension]} IN (${checkedIds(query.only.values).map(() => '?').join(', ')})`);
      params.push(...query.only.values);
    }
    const groupColumns = query.groupBy.map((dimension) => dimensionColumns[dimension]);
    const selectGroups = groupColumns.map((column) => `${column} AS g_${column}`);
    const groupTerms = [...groupColumns];
    if (query.bucket !== undefined) {
      // The bucket's numbers are written into the statement (checked safe integers, never text): as
      // parameters PostgreSQL would not see the GROUP BY term as the selected one. Integer division on both.
      const bucketTerm = `((${level.time} - ${integer(query.bucket.originMs)}) / ${integer(query.bucket.bucketMs)})`;
      selectGroups.push(`${bucketTerm} AS g_bucket`);
      groupTerms.push(bucketTerm);
    }
    const sums = valueColumns.map((column) => `SUM(${column}) AS ${column}`);
    const sql =
      `SELECT ${[...selectGroups, ...sums].join(', ')} FROM ${level.table} WHERE ${conditions.join(' AND ')}` +
      (groupTerms.length === 0 ? '' : ` GROUP BY ${groupTerms.join(', ')}`) +
      ` HAVING SUM(payments) <> 0 LIMIT ${integer(query.rowsMax) + 1}`;
    const rows = await this.db.all(sql, params);
    if (rows.length > query.rowsMax) throw new Error(`analytics read exceeds ${query.rowsMax} rows; bound the groups or the range first`);
    return rows.map((row) => {
      const group: Partial<Record<RollupDimension, string>> = {};
      query.groupBy.forEach((dimension, i) => {
        group[dimension] = readText(row[`g_${groupColumns[i]}`], dimension);
      });
      return { group, ...(query.bucket === undefined ? {} : { bucket: readInteger(row.g_bucket, 'bucket') }), values: valuesOfRow(row) };
    });
  },

  async getRollupContributions(paymentIds: readonly string[]): Promise<Map<string, RollupContribution>> {
    const found = new Map<string, RollupContribution>();
    if (checkedIds(paymentIds).length === 0) return found;
    // Padded to a power of two (inListSlices): a few statement texts, whatever the batch's size.
    const [ids = []] = inListSlices(paymentIds);
    const rows = await this.db.all(`SELECT payment_id, contribution FROM analytics_contributions WHERE payment_id IN (${ids.map(() => '?').join(', ')})`, ids);
    for (const row of rows) found.set(readText(row.payment_id, 'payment_id'), readJson<RollupContribution>(row.contribution, 'contribution'));
    return found;
  },

  async findRescuePeers(cards, fromMs, toMs, limit): Promise<RescuePeer[]> {
    if (cards.length > idsPerReadMax) throw new Error(`broken invariant: at most ${idsPerReadMax} cards per analytics read`);
    const found: RescuePeer[] = [];
    // One OR term per card, each an equality prefix of payments_reswipe_idx plus the time range; a
    // statement holds at most rescueCardsPerStatement terms (SQLite bounds an expression's depth).
    for (let i = 0; i < cards.length && found.length < limit; i += rescueCardsPerStatement) {
      const terms: string[] = [];
      const params: SqlValue[] = [];
      for (const card of cards.slice(i, i + rescueCardsPerStatement)) {
        terms.push(`(pan_fingerprint = ? AND amount_minor = ? AND terminal_id ${card.terminalId === null ? 'IS NULL' : '= ?'} AND created_at_ms >= ? AND created_at_ms <= ?)`);
        params.push(card.panFingerprint, integer(card.amountMinor), ...(card.terminalId === null ? [] : [card.terminalId]), integer(fromMs), integer(toMs));
      }
      const rows = await this.db.all(`SELECT id, kind, status, pan_fingerprint, amount_minor, terminal_id, created_at_ms FROM payments WHERE ${terms.join(' OR ')} LIMIT ${integer(limit - found.length)}`, params);
      for (const row of rows) {
        found.push({
          id: readText(row.id, 'id'),
          kind: readText(row.kind, 'kind'),
          status: readText(row.status, 'status'),
          panFingerprint: readText(row.pan_fingerprint, 'pan_fingerprint'),
          amountMinor: readInteger(row.amount_minor, 'amount_minor'),
          terminalId: readTextOrNull(row.terminal_id, 'terminal_id'),
          createdAtMs: readInteger(row.created_at_ms, 'created_at_ms'),
        });
      }
    }
    return found;
  },
};


export const analyticsTxMethods: AnalyticsStoreTx & ThisType<WithDb> = {
  async addRollupDeltas(rows) {
    for (const level of rollupLevels) {
      // The deltas projected onto the level's key, summed: a level row is written once per batch.
      const merged = new Map<string, { key: SqlValue[]; values: RollupValues }>();
      for (const row of rows) {
        const key = keyValuesAt(level, row.key);
        const text = key.join('\u0001');
        const entry = merged.get(text);
        if (entry === undefined) merged.set(text, { key, values: addValues(emptyValues(), row.values) });
        else addValues(entry.values, row.values);
      }
      for (const slice of statementSlices([...merged.values()], keyColumnsOf(level).length + valueColumns.length)) {
        await this.db.run(
          addDeltasSql(level, slice.length),
          slice.reduce<SqlValue[]>((params, entry) => {
            for (const value of entry.key) params.push(value);
            pushValueValues(params, entry.values);
            return params;
          }, []),
        );
      }
    }
  },

  async putRollupContributions(entries, atMs) {
    for (const slice of statementSlices(entries, 3)) {
      await this.db.run(
        `INSERT INTO analytics_contributions (payment_id, contribution, updated_at_ms) VALUES ${slice.map(() => '(?, ?, ?)').join(', ')}
         ON CONFLICT (payment_id) DO UPDATE SET contribution = excluded.contribution, updated_at_ms = excluded.updated_at_ms`,
        slice.flatMap((entry) => [entry.paymentId, JSON.stringify(entry.contribution), integer(atMs)]),
      );
    }
  },

  async clearRollup() {
    for (const level of rollupLevels) await this.db.run(`DELETE FROM ${level.table}`, []);
    await this.db.run('DELETE FROM analytics_contributions', []);
  },
};
