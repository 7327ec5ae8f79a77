import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { LruMap } from '../lru.js';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;

export interface Connection {
  db: Db;
  dialect: Dialect;
  /** The pg pool (PostgreSQL only), for components that share the database, like rate limits. */
  pgPool?: pg.Pool;
  /**
   * The one better-sqlite3 handle (SQLite only), for prepared statements (prepared.ts): the request path's
   * hot queries, issuance's batch writes inside a transaction, bulk loads inside `exclusive`. Never between
   * the statements of someone else's Kysely transaction.
   */
  sqlite?: SQLite.Database;
  /** Runs fn while no other query of this connection runs (SQLite: holds Kysely's single connection). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs fn in one write transaction (BEGIN IMMEDIATE on SQLite, so writers queue instead of failing). */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {}

export function sqlitePath(url: string): string {
  const rest = url.replace(/^sqlite:(\/\/)?/, '');
  if (rest === ':memory:') return rest;
  if (rest === '') throw new StoreError('the sqlite: database URL names no file');
  return path.resolve(rest);
}

/** How many prepared statements the SQLite connection keeps (most queries have one fixed text). */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query afresh, which costs more than running it. This hands it the
 * prepared statement of the same text instead, from a bounded cache (least recently used out first).
 * better-sqlite3 statements are reusable once a call returns; nothing here streams (iterate), which would
 * hold a statement busy.
 */
function cachingStatements(raw: SQLite.Database): SqliteDatabase {
  const cache = new LruMap<string, SQLite.Statement>(STATEMENT_CACHE_SIZE);
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) cache.set(text, (stmt = raw.prepare(text)));
      return stmt;
    },
  };
}

function openSqlite(url: string): Connection {
  const file = sqlitePath(url);
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
  return {
    db,
    dialect: 'sqlite',
    sqlite: raw,
    exclusive: <T>(fn: () => Promise<T>) => db.connection().execute(() => fn()),
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      return db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          await sql`rollback`.execute(conn);
          throw err;
        }
      });
    },
    // Migrations hold an exclusive lock, so a server and an admin command starting together on a fresh
    // folder do not both create the tables.
    migrate: () =>
      db.connection().execute(async (conn) => {
        await sql`begin exclusive`.execute(conn);
        try {
          await runMigrations(conn);
          await sql`commit`.execute(conn);
        } catch (err) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw err;
        }
      }),
    close: () => db.destroy(),
  };
}

async function runMigrations(db: Db, dialect: Dialect = 'sqlite'): Promise<void> {
  // On PostgreSQL Kysely's own tables go in the schema we work in (search_path), not wherever another
  // installation in the same database keeps its own.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (!error && !failed) return;
    // Kysely looks for its own table by listing every schema of the database; another installation
    // dropping its schema during that scan fails it with invalid_schema_name (3F000). Nothing was migrated
    // then: look again.
    if ((error as { code?: string } | undefined)?.code === '3F000' && !failed && attempt < 20) {
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
      continue;
    }
    throw new StoreError(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

// Counters and ids are below 2^53: read int8 and numeric (sums) as JavaScript numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** Any constant: the advisory lock key OpenCAS migrations take on PostgreSQL. */
const MIGRATION_LOCK = 0x6f70656e; // "open"

function openPostgres(url: string): Connection {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // A client that loses its server must not crash the process: pg emits 'error' on the client, and the pool
  // listens only while the client is idle. A query under way fails on its own, and its caller handles that.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    pgPool: pool,
    exclusive: <T>(fn: () => Promise<T>) => fn(),
    // READ COMMITTED: every quota change is a conditional UPDATE that PostgreSQL re-checks after a
    // concurrent writer commits, so check-and-take stays one step.
    transaction: <T>(fn: (tx: Db) => Promise<T>) => db.transaction().execute(fn),
    // Kysely takes an advisory lock around migrations, so servers starting together migrate once.
    // Servers starting together take turns: a session-level advisory lock around the whole migration
    // (Kysely's own lock covers only part of its bookkeeping; concurrent CREATEs can still collide).
    migrate: () =>
      db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
        try {
          await runMigrations(conn, 'postgres');
        } finally {
          await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
        }
      }),
    close: () => db.destroy(),
  };
}

export function openConnection(url: string): Connection {
  if (url.startsWith('sqlite:')) return openSqlite(url);
  if (/^postgres(ql)?:/.test(url)) return openPostgres(url);
  throw new StoreError(`unsupported database URL "${url}"`);
}
