import type { Statement } from 'better-sqlite3';
import { sql, type Insertable } from 'kysely';
import type { Connection } from './db.js';
import type { Database } from './schema.js';

/** The tables a bulk load can fill (seeding a store for benchmarks, imports). */
export type BulkTable = 'accounts' | 'access_keys' | 'plans' | 'orders' | 'certificates' | 'order_events';

/** Bound parameters per statement on PostgreSQL: below its 65,535, so one statement carries hundreds of rows. */
const PG_MAX_PARAMETERS = 30_000;
/** Rows per statement on SQLite: one prepared statement of this many rows, reused for the whole load. */
const SQLITE_ROWS = 100;
/** SQLite page cache during a bulk load, in KiB (a negative cache_size): 256 MiB. */
const BULK_CACHE_KIB = -262_144;

/**
 * Bulk loading: rows go in as multi-row INSERTs, all of one call in one transaction, so a million rows cost
 * thousands of statements and a few dozen commits instead of a million of each. On SQLite the multi-row
 * statement is prepared once per table and reused (Kysely would compile and prepare every statement anew,
 * which doubles the cost); on PostgreSQL, Kysely's multi-row insert. No checks beyond the database's own
 * constraints: the caller hands in complete, consistent rows.
 */
export class BulkStore {
  private readonly prepared = new Map<string, { many: Statement; one: Statement }>();

  constructor(private readonly conn: Connection) {}

  /** Inserts `rows` into `table` in one transaction; every row must have the same columns, in the same order. */
  async insert<T extends BulkTable>(table: T, rows: Insertable<Database[T]>[]): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!);
    const raw = this.conn.sqlite;
    if (raw) {
      const key = `${table}(${columns.join(',')})`;
      let stmts = this.prepared.get(key);
      if (!stmts) {
        const tuple = `(${columns.map(() => '?').join(', ')})`;
        const head = `insert into ${table} (${columns.map((c) => `"${c}"`).join(', ')}) values `;
        stmts = {
          many: raw.prepare(head + Array.from({ length: SQLITE_ROWS }, () => tuple).join(', ')),
          one: raw.prepare(head + tuple),
        };
        this.prepared.set(key, stmts);
      }
      const { many, one } = stmts;
      const values = (row: object) => columns.map((c) => (row as Record<string, unknown>)[c]);
      await this.conn.exclusive(async () => {
        // Random ids land all over the primary-key and account indexes: with SQLite's default 2 MB page
        // cache, inserts keep evicting and re-reading index pages. A large cache for the load, then back.
        const cacheSize = raw.pragma('cache_size', { simple: true }) as number;
        raw.pragma(`cache_size = ${BULK_CACHE_KIB}`);
        try {
          raw
            .transaction(() => {
              let i = 0;
              for (; i + SQLITE_ROWS <= rows.length; i += SQLITE_ROWS) {
                const params: unknown[] = [];
                for (let j = i; j < i + SQLITE_ROWS; j++) params.push(...values(rows[j]!));
                many.run(params);
              }
              for (; i < rows.length; i++) one.run(values(rows[i]!));
            })
            .immediate();
        } finally {
          raw.pragma(`cache_size = ${cacheSize}`);
        }
      });
      return;
    }
    const perStatement = Math.max(1, Math.floor(PG_MAX_PARAMETERS / columns.length));
    await this.conn.transaction(async (db) => {
      for (let i = 0; i < rows.length; i += perStatement) {
        // Kysely's insert typing cannot follow a generic table; the rows were typed by the caller.
        await db
          .insertInto(table)
          .values(rows.slice(i, i + perStatement) as never)
          .execute();
      }
    });
  }

  /**
   * After a load: on PostgreSQL, ANALYZE, which autovacuum would run soon after so many new rows, so that
   * plans use real statistics from the start. Nothing on SQLite, where OpenCAS never gathers statistics.
   */
  async finish(): Promise<void> {
    if (this.conn.dialect === 'postgres') await sql`analyze`.execute(this.conn.db);
  }
}
