import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;

export interface Connection {
  db: Db;
  dialect: Dialect;
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

function openSqlite(url: string): Connection {
  const file = sqlitePath(url);
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    db,
    dialect: 'sqlite',
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

async function runMigrations(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new StoreError(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

export function openConnection(url: string): Connection {
  if (url.startsWith('sqlite:')) return openSqlite(url);
  if (/^postgres(ql)?:/.test(url))
    throw new StoreError('PostgreSQL support is not built yet; use a sqlite: URL');
  throw new StoreError(`unsupported database URL "${url}"`);
}
