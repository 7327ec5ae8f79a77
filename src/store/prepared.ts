import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Compilable } from 'kysely';
import type { Connection, Db } from './db.js';

/**
 * A query of the request path, built once with Kysely and then run without it: on SQLite as a better-sqlite3
 * statement prepared once, on PostgreSQL as a named statement that each pooled connection prepares once.
 * The SQL stays a Kysely builder here in the store; only the per-call building, compiling and preparing go.
 *
 * `build` receives a placeholder for each argument (typed as the argument) and returns the query; each may
 * appear anywhere in it, and more than once.
 */
export class HotQuery<A extends unknown[], R> {
  private readonly compiled: CompiledQuery;
  /** For each compiled parameter, the argument it takes. */
  private readonly slots: number[];
  private stmt?: SQLite.Statement;

  constructor(
    private readonly conn: Connection,
    private readonly name: string,
    arity: A['length'],
    build: (db: Db, ...args: A) => Compilable,
  ) {
    const holders = Array.from({ length: arity }, (_, i) => new Placeholder(i));
    this.compiled = build(conn.db, ...(holders as unknown as A)).compile();
    this.slots = this.compiled.parameters.map((p) => {
      if (!(p instanceof Placeholder)) throw new Error(`${name}: a query parameter is not a placeholder`);
      return p.index;
    });
  }

  private values(args: A): unknown[] {
    const out = new Array<unknown>(this.slots.length);
    for (let i = 0; i < this.slots.length; i++) out[i] = args[this.slots[i]!];
    return out;
  }

  /** The rows the query returns (for a write without RETURNING: none). */
  async rows(...args: A): Promise<R[]> {
    return (await this.run(args)).rows;
  }

  async first(...args: A): Promise<R | undefined> {
    return (await this.run(args)).rows[0];
  }

  /** Rows changed by a write. */
  async changes(...args: A): Promise<number> {
    return (await this.run(args)).changes;
  }

  /**
   * SQLite outside a transaction only: the first row, read at once (so that a caller can act on it before
   * anything else runs). Undefined `ran` when it cannot: the caller takes the asynchronous path.
   */
  firstNow(...args: A): { ran: true; row: R | undefined } | { ran: false } {
    const raw = this.conn.sqlite;
    if (!raw || raw.inTransaction) return { ran: false };
    this.stmt ??= raw.prepare(this.compiled.sql);
    return { ran: true, row: this.stmt.get(this.values(args)) as R | undefined };
  }

  /**
   * SQLite only: runs the statement at once, for a caller that holds the connection already (inside
   * `db.connection().execute`, where waiting for Kysely's turn would wait for itself).
   */
  runHeld(...args: A): number {
    const raw = this.conn.sqlite;
    if (!raw) throw new Error(`${this.name}: runHeld is for SQLite`);
    this.stmt ??= raw.prepare(this.compiled.sql);
    return Number(this.stmt.run(this.values(args)).changes);
  }

  private async run(args: A): Promise<{ rows: R[]; changes: number }> {
    const values = this.values(args);
    const raw = this.conn.sqlite;
    // SQLite has one connection. Outside a transaction a synchronous statement cannot interleave with
    // anything; inside one (someone else's, spanning awaits) it would join it, so wait for Kysely's turn.
    if (raw && !raw.inTransaction) {
      this.stmt ??= raw.prepare(this.compiled.sql);
      if (this.stmt.reader) return { rows: this.stmt.all(values) as R[], changes: 0 };
      return { rows: [], changes: Number(this.stmt.run(values).changes) };
    }
    if (this.conn.pgPool) {
      const r = await this.conn.pgPool.query({ name: this.name, text: this.compiled.sql, values });
      return { rows: r.rows as R[], changes: r.rowCount ?? 0 };
    }
    const r = await this.conn.db.executeQuery<R>(CompiledQuery.raw(this.compiled.sql, values));
    return { rows: r.rows, changes: Number(r.numAffectedRows ?? 0) };
  }
}

/** Stands for an argument of a HotQuery while it is built; never sent to a database. */
export class Placeholder {
  constructor(readonly index: number) {}
}

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
