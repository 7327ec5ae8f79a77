import type { Kysely } from 'kysely';

/**
 * The nonce log of SQLite (issue 6): nonces appended in arrival order, with no unique index, so that
 * remembering one costs an append at the end of the table instead of an insert at a random place in a large
 * index (the replay check itself runs against the log held in memory: store/nonces.ts). Unused on
 * PostgreSQL, where servers of a cluster share the `nonces` table and its primary key is the check.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('nonce_log')
    .addColumn('access_key_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('nonce_log_expiry').on('nonce_log').column('expires_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('nonce_log').execute();
}
