/**
 * Which store the e2e suite runs on. SQLite by default; with OPENCAS_TEST_STORE=postgres (set by
 * `npm run test:postgres` when OPENCAS_TEST_DATABASE_URL is given) every test server gets a fresh schema
 * of its own in that database, so runs never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { leftovers } from './leftovers.js';

export const usingPostgres = process.env['OPENCAS_TEST_STORE'] === 'postgres';
const baseUrl = process.env['OPENCAS_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The database URL of each data folder's server, so the CLI and restarts find the same data. */
const byDataDir = new Map<string, { url: string; schema: string; forget: () => void }>();

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** For PostgreSQL runs, the URL of a fresh schema bound to this data folder; undefined for SQLite runs. */
export async function databaseUrlFor(dataDir: string): Promise<string | undefined> {
  if (!usingPostgres) return undefined;
  const known = byDataDir.get(dataDir);
  if (known) return known.url;
  const schema = `opencas_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create schema ${schema}`));
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  // Dropped by dropDatabaseFor, or at the end of the test file when a test never got that far.
  const forget = leftovers.schema(() => dropDatabaseFor(dataDir));
  byDataDir.set(dataDir, { url: url.toString(), schema, forget });
  return url.toString();
}

/** The URL already bound to a data folder (for the CLI), if any. */
export function knownDatabaseUrl(dataDir: string): string | undefined {
  return byDataDir.get(dataDir)?.url;
}

export async function dropDatabaseFor(dataDir: string): Promise<void> {
  const known = byDataDir.get(dataDir);
  if (!known) return;
  byDataDir.delete(dataDir);
  known.forget();
  await admin((c) => c.query(`drop schema if exists ${known.schema} cascade`));
}
