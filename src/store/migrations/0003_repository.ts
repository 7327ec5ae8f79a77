import { sql, type Kysely } from 'kysely';
import { randomId } from '../../ids.js';

/**
 * The certificate repository (issue 5): soft deletion, unique names and tags for certificates, resource
 * groups on orders, the CSR repository and contacts. Schema builder only, so it runs on SQLite and
 * PostgreSQL alike; ids come from randomId(), never from the database.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One column per statement: SQLite adds columns one at a time.
  await db.schema.alterTable('certificates').addColumn('deleted_at', 'bigint').execute();
  await db.schema.alterTable('certificates').addColumn('tags', 'text').execute();
  await db.schema.alterTable('orders').addColumn('resource_group_id', 'text').execute();

  // decisions.md 20: a name is unique among the account's certificates that are not deleted.
  await db.schema
    .createIndex('certificates_account_name')
    .on('certificates')
    .columns(['account_uid', 'name'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('csrs')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_uid', 'bigint', (c) => c.notNull().references('accounts.uid'))
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('create', 'upload')`))
    .addColumn('name', 'text')
    .addColumn('csr_pem', 'text', (c) => c.notNull())
    .addColumn('key_sealed', 'text')
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('key_size', 'integer', (c) => c.notNull())
    .addColumn('key_sha256', 'text', (c) => c.notNull())
    .addColumn('common_name', 'text', (c) => c.notNull())
    .addColumn('sans', 'text', (c) => c.notNull())
    .addColumn('country_code', 'text')
    .addColumn('province', 'text')
    .addColumn('locality', 'text')
    .addColumn('corp_name', 'text')
    .addColumn('department', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('csrs_account').on('csrs').columns(['account_uid', 'created_at']).execute();

  // One row per distinct (name, e-mail, mobile) of an account's applications; '' for a part not given.
  await db.schema
    .createTable('contacts')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_uid', 'bigint', (c) => c.notNull().references('accounts.uid'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('mobile', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('contacts_identity', ['account_uid', 'name', 'email', 'mobile'])
    .execute();
  await db.schema
    .createIndex('contacts_recent')
    .on('contacts')
    .columns(['account_uid', 'last_used_at'])
    .execute();

  // The contacts of the applications made before this migration.
  const given = await db
    .selectFrom('orders')
    .select([
      'account_uid',
      sql<string>`coalesce(username, '')`.as('name'),
      sql<string>`coalesce(email, '')`.as('email'),
      sql<string>`coalesce(phone, '')`.as('mobile'),
      sql<number>`min(created_at)`.as('first'),
      sql<number>`max(created_at)`.as('last'),
    ])
    .where((eb) =>
      eb.or([eb('username', 'is not', null), eb('email', 'is not', null), eb('phone', 'is not', null)]),
    )
    .groupBy(['account_uid', 'username', 'email', 'phone'])
    .execute();
  for (const c of given) {
    await db
      .insertInto('contacts')
      .values({
        id: randomId(),
        account_uid: c.account_uid,
        name: c.name,
        email: c.email,
        mobile: c.mobile,
        created_at: Number(c.first),
        last_used_at: Number(c.last),
      })
      .onConflict((oc) => oc.columns(['account_uid', 'name', 'email', 'mobile']).doNothing())
      .execute();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('contacts').execute();
  await db.schema.dropTable('csrs').execute();
  await db.schema.dropIndex('certificates_account_name').execute();
  await db.schema.alterTable('orders').dropColumn('resource_group_id').execute();
  await db.schema.alterTable('certificates').dropColumn('tags').execute();
  await db.schema.alterTable('certificates').dropColumn('deleted_at').execute();
}
