/**
 * Moving the whole state between stores (`couponbridge export` / `import`, e.g. SQLite →
 * PostgreSQL). The file is NDJSON, one record a line, each with a `type`:
 *
 *   {"type":"header","format":"couponbridge-export","format_version":1,"backend":"sqlite",
 *    "schema_version":2,"journal":false,"exported_at":"2026-12-01T15:00:00.000Z"}
 *   {"type":"row","table":"coupons","row":{"id":"…","state":"available",…}}
 *   …
 *   {"type":"end","counts":{"coupons":12,…}}
 *
 * Table-driven: the stores read their tables and columns from the database catalogue, so a column
 * or table a later migration adds travels without code here. Values are portable between the
 * backends: times as ISO-8601 UTC text with milliseconds (SQLite's own storage form), bytes as
 * base64, json columns as their exact text (an outbox payload is compared byte for byte on
 * re-enqueue), integers as numbers. Rows of a table are in primary-key order (bytewise for text),
 * so two exports of the same state are identical but for `exported_at` and `backend`.
 *
 * What travels: every table except the migration bookkeeping and tables derived by triggers
 * (`stock_counters`, rebuilt as the coupons are inserted); the journal (`exchanges`,
 * `exchange_keys`) only with `--journal`; nonces only while unexpired. The end record guards
 * against a truncated file: the import runs in one transaction that commits only after it.
 */
import type { PortableRow, PortableValue, Store, TransferRecord } from './types';

export const EXPORT_FORMAT = 'couponbridge-export';
export const EXPORT_FORMAT_VERSION = 1;

/** Never exported: bookkeeping, and derived tables the import rebuilds through their triggers. */
const NOT_TRANSFERRED = new Set(['schema_migrations', 'stock_counters']);
const JOURNAL_TABLES = new Set(['exchanges', 'exchange_keys']);
/** Referenced tables before the tables that reference them; any other table follows by name. */
const ORDER = [
  'idempotency',
  'nonces',
  'stocks',
  'coupons',
  'coupon_transitions',
  'orders',
  'outbox',
  'exchanges',
  'exchange_keys',
];
/** Rows older than this filter are of no use in the new store. */
export const EXPORT_FILTERS: Readonly<Record<string, { column: string }>> = {
  nonces: { column: 'expires_at' },
};

/** How a column's values are carried: see the module comment. */
export type ColumnKind = 'bytes' | 'integer' | 'time' | 'other';

export interface TableShape {
  name: string;
  columns: { name: string; kind: ColumnKind }[];
  /** Primary-key columns in key order (empty: order by every column). */
  primaryKey: string[];
}

/** Rows an export reads per query. */
export const EXPORT_PAGE = 1000;

/** An SQL identifier, quoted the same way in SQLite and PostgreSQL. */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** An export reads a table in primary-key order (all columns where it has none): a stable order. */
export function exportOrderKeys(shape: TableShape): string[] {
  return shape.primaryKey.length > 0 ? shape.primaryKey : shape.columns.map((c) => c.name);
}

/** The tables an export carries, in import order. */
export function transferTables(names: Iterable<string>, journal: boolean): string[] {
  const all = [...names].filter((n) => !NOT_TRANSFERRED.has(n) && (journal || !JOURNAL_TABLES.has(n)));
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return all.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Every table an import must find empty (journal included, whatever the file holds). */
export function importedTables(names: Iterable<string>): string[] {
  return transferTables(names, true);
}

export function encodeValue(v: unknown, kind: ColumnKind): PortableValue {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (kind === 'integer') return Number(v);
  if (kind === 'time') return new Date(v as string).toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return v as string | number;
}

export function decodeValue(v: PortableValue, kind: ColumnKind): unknown {
  if (v === null) return null;
  if (kind === 'bytes') return Buffer.from(String(v), 'base64');
  return v;
}

export function encodeRow(shape: TableShape, row: Record<string, unknown>): PortableRow {
  const out: PortableRow = {};
  for (const c of shape.columns) out[c.name] = encodeValue(row[c.name], c.kind);
  return out;
}

/**
 * What a store provides to an import, inside its one transaction: its tables' shapes, an emptiness
 * check, and a multi-row insert of decoded values in `columns` order.
 */
export interface ImportSink {
  shapes: Map<string, TableShape>;
  hasRows(table: string): Promise<boolean>;
  insert(table: string, columns: string[], rows: unknown[][]): Promise<void>;
}

const BATCH = 200;

/** The backend-independent part of `Store.importRows`; returns the rows loaded per table. */
export async function importInto(
  sink: ImportSink,
  records: AsyncIterable<TransferRecord>,
): Promise<Record<string, number>> {
  for (const t of importedTables(sink.shapes.keys())) {
    if (await sink.hasRows(t)) {
      throw new Error(
        `import: the target store is not empty (table ${t} has rows); import only into an empty store`,
      );
    }
  }
  const allowed = new Set(importedTables(sink.shapes.keys()));
  const counts: Record<string, number> = {};
  let batch: { table: string; columns: string[]; rows: unknown[][] } | undefined;
  const flush = async () => {
    if (batch && batch.rows.length > 0) await sink.insert(batch.table, batch.columns, batch.rows);
    batch = undefined;
  };
  for await (const { table, row } of records) {
    const shape = sink.shapes.get(table);
    if (!shape || !allowed.has(table))
      throw new Error(`import: the target store has no table ${table} to load`);
    const kinds = new Map(shape.columns.map((c) => [c.name, c.kind]));
    const columns = Object.keys(row);
    const unknown = columns.filter((c) => !kinds.has(c));
    if (unknown.length > 0) {
      throw new Error(
        `import: table ${table} of the target store has no column ${unknown.join(', ')} (is couponbridge older than the export?)`,
      );
    }
    if (
      !batch ||
      batch.table !== table ||
      batch.columns.join() !== columns.join() ||
      batch.rows.length >= BATCH
    ) {
      await flush();
      batch = { table, columns, rows: [] };
    }
    batch.rows.push(columns.map((c) => decodeValue(row[c], kinds.get(c) as ColumnKind)));
    counts[table] = (counts[table] ?? 0) + 1;
  }
  await flush();
  return counts;
}

// ——— the NDJSON file ———

export interface ExportHeader {
  type: 'header';
  format: typeof EXPORT_FORMAT;
  format_version: number;
  backend: Store['backend'];
  schema_version: number;
  journal: boolean;
  exported_at: string;
}

/** Writes the whole state as NDJSON through `write` (awaited: back-pressure); returns the rows per table. */
export async function writeExport(
  store: Store,
  write: (line: string) => void | Promise<void>,
  opts: { journal: boolean; now?: Date },
): Promise<Record<string, number>> {
  const now = opts.now ?? new Date();
  const header: ExportHeader = {
    type: 'header',
    format: EXPORT_FORMAT,
    format_version: EXPORT_FORMAT_VERSION,
    backend: store.backend,
    schema_version: await store.schemaVersion(),
    journal: opts.journal,
    exported_at: now.toISOString(),
  };
  await write(`${JSON.stringify(header)}\n`);
  const counts: Record<string, number> = {};
  for await (const { table, row } of store.exportRows({ journal: opts.journal, now })) {
    counts[table] = (counts[table] ?? 0) + 1;
    await write(`${JSON.stringify({ type: 'row', table, row })}\n`);
  }
  await write(`${JSON.stringify({ type: 'end', counts })}\n`);
  return counts;
}

function parseLine(line: string, n: number): Record<string, unknown> {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(`import: line ${n} is not a JSON object`);
}

function checkHeader(h: Record<string, unknown>, targetSchema: number): ExportHeader {
  if (h.type !== 'header' || h.format !== EXPORT_FORMAT) {
    throw new Error(`import: line 1 is not a ${EXPORT_FORMAT} header`);
  }
  const version = Number(h.format_version);
  if (!Number.isInteger(version) || version < 1) throw new Error('import: the header has no format_version');
  if (version > EXPORT_FORMAT_VERSION) {
    throw new Error(
      `import: the file has format version ${version}, newer than this couponbridge reads (${EXPORT_FORMAT_VERSION}); import with the release that exported it`,
    );
  }
  if (Number(h.schema_version) > targetSchema) {
    throw new Error(
      `import: the file comes from schema version ${String(h.schema_version)}, the target store is at ${targetSchema}; upgrade couponbridge first`,
    );
  }
  return h as unknown as ExportHeader;
}

/**
 * Loads an NDJSON export into `store` (which must be empty) in one transaction. The file is
 * checked as it streams; any problem — a bad line, an unknown table or column, a missing or
 * disagreeing end record — rolls the whole import back.
 */
export async function readExport(
  store: Store,
  lines: AsyncIterable<string>,
): Promise<{ header: ExportHeader; counts: Record<string, number> }> {
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new Error('import: the input is empty');
  const header = checkHeader(parseLine(first.value, 1), await store.schemaVersion());
  async function* records(): AsyncGenerator<TransferRecord> {
    const seen: Record<string, number> = {};
    let n = 1;
    for (let next = await it.next(); !next.done; next = await it.next()) {
      n += 1;
      if (next.value.trim() === '') continue;
      const r = parseLine(next.value, n);
      if (r.type === 'end') {
        const expected = JSON.stringify(Object.entries((r.counts ?? {}) as object).sort());
        if (expected !== JSON.stringify(Object.entries(seen).sort())) {
          throw new Error(
            `import: the end record's counts ${JSON.stringify(r.counts)} disagree with the rows read`,
          );
        }
        if (!(await it.next()).done) throw new Error(`import: line ${n + 1} follows the end record`);
        return;
      }
      if (r.type !== 'row' || typeof r.table !== 'string' || typeof r.row !== 'object' || r.row === null) {
        throw new Error(`import: line ${n} is neither a row nor the end record`);
      }
      seen[r.table] = (seen[r.table] ?? 0) + 1;
      yield { table: r.table, row: r.row as PortableRow };
    }
    throw new Error('import: the file ends without its end record (truncated?)');
  }
  const counts = await store.importRows(records());
  return { header, counts };
}
