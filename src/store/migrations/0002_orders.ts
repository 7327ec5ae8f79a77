import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('orders')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_uid', 'bigint', (c) => c.notNull().references('accounts.uid'))
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'bigint', (c) => c.notNull().references('plans.id'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('payed', 'domain_verify', 'process', 'verify_fail', 'certificate')`),
    )
    .addColumn('names', 'text', (c) => c.notNull())
    .addColumn('validate_type', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('record_domain', 'text', (c) => c.notNull())
    .addColumn('validated_names', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('csr_pem', 'text')
    .addColumn('key_algorithm', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('company_name', 'text')
    .addColumn('tags', 'text')
    .addColumn('validation_deadline', 'bigint', (c) => c.notNull())
    .addColumn('next_check_at', 'bigint')
    .addColumn('check_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_check_at', 'bigint')
    .addColumn('prompt_check_at', 'bigint')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('approval', 'text')
    .addColumn('certificate_id', 'bigint')
    .addColumn('issued_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoke_reason', 'text')
    .addColumn('unit_returned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('renewed_from', 'bigint')
    .addColumn('deleted_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('orders_account').on('orders').columns(['account_uid', 'created_at']).execute();
  await db.schema.createIndex('orders_due').on('orders').columns(['status', 'next_check_at']).execute();

  await db.schema
    .createTable('certificates')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_uid', 'bigint', (c) => c.notNull().references('accounts.uid'))
    .addColumn('order_id', 'bigint')
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('issued', 'upload')`))
    .addColumn('name', 'text')
    .addColumn('cert_pem', 'text', (c) => c.notNull())
    .addColumn('chain_pem', 'text', (c) => c.notNull())
    .addColumn('key_sealed', 'text')
    .addColumn('common_name', 'text', (c) => c.notNull())
    .addColumn('sans', 'text', (c) => c.notNull())
    .addColumn('serial_hex', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('key_algorithm', 'text', (c) => c.notNull())
    .addColumn('key_size', 'integer', (c) => c.notNull())
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint', (c) => c.notNull())
    .addColumn('sha1', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('org_name', 'text')
    .addColumn('country', 'text')
    .addColumn('province', 'text')
    .addColumn('city', 'text')
    .addColumn('resource_group_id', 'text')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoke_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('certificates_account')
    .on('certificates')
    .columns(['account_uid', 'created_at'])
    .execute();
  // Serials of certificates this CA issued never repeat.
  await db.schema
    .createIndex('certificates_issued_serial')
    .on('certificates')
    .column('serial_hex')
    .unique()
    .where(sql.ref('source'), '=', 'issued')
    .execute();

  await db.schema
    .createTable('order_events')
    .addColumn('order_id', 'bigint', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('account_uid', 'bigint', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('order_events_pk', ['order_id', 'seq'])
    .execute();

  await db.schema
    .createTable('domain_validations')
    .addColumn('account_uid', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('validated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('domain_validations_pk', ['account_uid', 'name'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['domain_validations', 'order_events', 'certificates', 'orders'])
    await db.schema.dropTable(t).execute();
}
