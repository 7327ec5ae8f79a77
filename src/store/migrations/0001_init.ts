import { sql, type Kysely } from 'kysely';

// Written against Kysely<any>: migrations are frozen in time and must not follow later schema types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('uid', 'bigint', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('is_root', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('access_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_uid', 'bigint', (c) => c.notNull().references('accounts.uid'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('Active', 'Inactive')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .execute();
  await db.schema.createIndex('access_keys_account').on('access_keys').column('account_uid').execute();

  await db.schema
    .createTable('plans')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_uid', 'bigint', (c) => c.notNull().references('accounts.uid'))
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('total_count', 'integer', (c) => c.notNull())
    .addColumn('used_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('issued_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('period', 'text')
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // The quota invariant of decisions.md 8, held by the database itself as a last line of defence.
    .addCheckConstraint(
      'plans_counts',
      sql`0 <= issued_count and issued_count <= used_count and used_count <= total_count`,
    )
    .execute();
  await db.schema
    .createIndex('plans_account_product')
    .on('plans')
    .columns(['account_uid', 'product_code'])
    .execute();
  await db.schema
    .createIndex('plans_starter_once')
    .on('plans')
    .columns(['account_uid', 'product_code', 'source', 'period'])
    .unique()
    .execute();

  await db.schema
    .createTable('nonces')
    .addColumn('access_key_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('nonces_pk', ['access_key_id', 'nonce'])
    .execute();
  await db.schema.createIndex('nonces_expiry').on('nonces').column('expires_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['nonces', 'plans', 'access_keys', 'accounts', 'meta'])
    await db.schema.dropTable(t).execute();
}
