import type { Kysely } from 'kysely';

/**
 * Keys made ahead of demand (issue 6): RSA private keys sealed with the master key, bound to their row id,
 * waiting to be claimed by an issuance or a CreateCsr. A claim deletes the row in the statement that reads
 * it, so a key leaves the pool exactly once, whichever server takes it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('key_pool')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('key_pool_kind').on('key_pool').columns(['algorithm', 'size']).execute();
}
