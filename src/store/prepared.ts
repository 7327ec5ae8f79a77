import type SQLite from 'better-sqlite3';

const cache = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

/**
 * Prepared statements on the SQLite handle, each prepared once per database and reused: the batch writes of
 * issuance run thousands of identical single-row statements, for which Kysely's compile and better-sqlite3's
 * prepare would cost more than SQLite itself. Only for code running inside Store.transaction (see
 * Connection.sqlite).
 */
export class Prepared {
  constructor(private readonly raw: SQLite.Database) {}

  statement(text: string): SQLite.Statement {
    let statements = cache.get(this.raw);
    if (!statements) cache.set(this.raw, (statements = new Map()));
    let stmt = statements.get(text);
    if (!stmt) statements.set(text, (stmt = this.raw.prepare(text)));
    return stmt;
  }

  /** `insert into <table> (<columns>) values (?, ...)` for rows with the same keys, one run per row. */
  insertRows(table: string, rows: Array<Record<string, unknown>>): void {
    const first = rows[0];
    if (!first) return;
    const columns = Object.keys(first);
    const stmt = this.statement(
      `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    );
    for (const row of rows) stmt.run(columns.map((c) => row[c] ?? null));
  }
}
