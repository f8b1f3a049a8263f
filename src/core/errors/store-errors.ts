import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the store area. Codes are stable: add new ones, never rename or reuse. */
export const storeErrors = defineErrors([
  {
    code: 'RSW_STORE_URL_UNSUPPORTED',
    messageTemplate: 'database URL scheme is not supported: {reason} (use sqlite:<path>, sqlite::memory: or postgres://...)',
    httpStatus: 500,
    description: 'The configured database.url (RESWIPE_DATABASE_URL, --database-url) names no store reswipe knows; use sqlite:<path> or postgres://user@host:port/db.',
  },
  {
    code: 'RSW_STORE_CONFLICT',
    messageTemplate: 'a record with the same key already exists (constraint {constraint})',
    httpStatus: 409,
    isoResponseCode: '94',
    description: 'An insert hit a unique constraint: a duplicate request, STAN or record id. Callers use it to detect duplicates race-free; the field names the key.',
  },
  {
    code: 'RSW_STORE_MISSING_REFERENCE',
    messageTemplate: 'a record refers to a {constraint} that does not exist',
    httpStatus: 409,
    isoResponseCode: '96',
    description: 'A write named a parent record (merchant, terminal, payment, attempt) that is not in the store; create the parent first.',
  },
  {
    code: 'RSW_STORE_UNAVAILABLE',
    messageTemplate: 'the database is unavailable: {reason}',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'The database could not be reached or dropped the connection. For a write, the outcome is unknown if the fault hit the commit; retry once it is back.',
  },
  {
    code: 'RSW_STORE_BUSY',
    messageTemplate: 'the database is busy: {reason}',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'A lock wait, deadlock or serialization failure aborted the write, which was rolled back; it is safe to retry.',
  },
  {
    code: 'RSW_STORE_FAULT',
    messageTemplate: 'database error {dbCode}: {reason}',
    httpStatus: 500,
    isoResponseCode: '96',
    description: 'The database refused a statement for a reason other than a duplicate or an outage; the log has the database code. Report it.',
  },
  {
    code: 'RSW_STORE_NOT_FOUND',
    messageTemplate: 'no {record} with that key to update',
    httpStatus: 404,
    description: 'An update named a record that does not exist; the caller must insert it first.',
  },
  {
    code: 'RSW_STORE_BAD_CURSOR',
    messageTemplate: 'the page cursor is not one this server issued',
    httpStatus: 400,
    description: 'A list request carried a cursor that is malformed; pass back the nextCursor of the previous page unchanged.',
  },
  {
    code: 'RSW_STORE_RESULT_TOO_LARGE',
    messageTemplate: 'the query would return more than {rowsMax} {record} rows',
    httpStatus: 500,
    description: 'An unpaged list grew beyond its bound; narrow the filter (for example the date range).',
  },
  {
    code: 'RSW_STORE_OVERLOADED',
    messageTemplate: 'more than {queueMax} writes are waiting for the database',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'The group-commit queue is full because the database is slower than the offered load; the write was not attempted, retry later.',
  },
  {
    code: 'RSW_STORE_UNIT_TIMEOUT',
    messageTemplate: 'a unit of work ran longer than {unitTimeoutMs} ms and was rolled back',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'A write unit held the group-commit batch too long (it must only touch the store, never the network, and never call store.write itself: a nested write waits for the batch that waits for it); it was rolled back alone.',
  },
  {
    code: 'RSW_STORE_CLOSED',
    messageTemplate: 'the store is closed',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'A read or write reached the store after close(); it happens during shutdown only.',
  },
  {
    code: 'RSW_STORE_SCHEMA_NEWER',
    messageTemplate: 'the database has migration {version}, which this version of reswipe does not know',
    httpStatus: 500,
    description: 'The database was migrated by a newer reswipe; run that version (or newer) instead of downgrading.',
  },
  {
    code: 'RSW_LEASE_LOST',
    messageTemplate: 'the lease {lease} is no longer held by node {node} at epoch {epoch}',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'A write made under a work lease (docs/cluster.md) found the lease expired or taken over by another node (a paused or partitioned node); it was rolled back and nothing is sent after it. The new owner does the work.',
  },
] as const);
