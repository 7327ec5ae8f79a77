import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_init.js';
import * as m0002 from './0002_orders.js';
import * as m0003 from './0003_repository.js';
import * as m0004 from './0004_rate_limits.js';
import * as m0005 from './0005_scale_indexes.js';
import * as m0006 from './0006_key_pool.js';
import * as m0007 from './0007_nonce_log.js';
import * as m0008 from './0008_renewals.js';

/** Migrations in order; each runs once, at start-up (Kysely records them in kysely_migration). */
const MIGRATIONS: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_orders': m0002,
  '0003_repository': m0003,
  '0004_rate_limits': m0004,
  '0005_scale_indexes': m0005,
  '0006_key_pool': m0006,
  '0007_nonce_log': m0007,
  '0008_renewals': m0008,
};

/** The newest migration: the database is ready for this build once it is recorded (Store.ping). */
export const LATEST_MIGRATION = Object.keys(MIGRATIONS).at(-1)!;

export const migrationProvider: MigrationProvider = {
  getMigrations: async (): Promise<Record<string, Migration>> => MIGRATIONS,
};
