import { sql, type Kysely } from 'kysely';

/**
 * Indexes for a million orders (issue 6, scale). The list queries of ListUserCertificateOrder read one
 * account's rows that are not deleted, newest first with the id breaking ties, and count them:
 *
 * - `orders_account_live` and `certificates_account_live` hold (account, created_at, id) for the rows not
 *   deleted, so a page is read in index order (no sort of the whole account) and the unfiltered TotalCount
 *   of orders is counted in the index alone;
 * - `orders_account_status` serves the Status filters (one status, or the two of CHECKING);
 * - `orders_account_group` serves ResourceGroupId (only labelled orders are in it);
 * - `certificates_account_validity` counts the CERT and UPLOAD lists (validity, revocation, source) in the
 *   index alone;
 * - `certificates_order` finds an order's certificate: issuance and MoveResourceGroup update it by order_id,
 *   which scanned the whole table.
 *
 * deleted_at closes each column list although it is null in every entry: SQLite counts in an index alone only
 * when the index holds every column the query names, the partial index's condition included. revoked_at in
 * orders_account_status does the same for REVOKED, and status with revoked_at in orders_account_group for a
 * resource group's Status filters.
 *
 * They replace the plain (account_uid, created_at) indexes of 0002, which the partial ones cover.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const live = sql<boolean>`deleted_at is null`;
  await db.schema
    .createIndex('orders_account_live')
    .on('orders')
    .columns(['account_uid', 'created_at', 'id', 'deleted_at'])
    .where(live)
    .execute();
  await db.schema
    .createIndex('orders_account_status')
    .on('orders')
    .columns(['account_uid', 'status', 'created_at', 'id', 'revoked_at', 'deleted_at'])
    .where(live)
    .execute();
  await db.schema
    .createIndex('orders_account_group')
    .on('orders')
    .columns(['account_uid', 'resource_group_id', 'created_at', 'id', 'status', 'revoked_at', 'deleted_at'])
    .where(sql<boolean>`deleted_at is null and resource_group_id is not null`)
    .execute();
  await db.schema.dropIndex('orders_account').execute();

  await db.schema
    .createIndex('certificates_account_live')
    .on('certificates')
    .columns(['account_uid', 'created_at', 'id', 'deleted_at'])
    .where(live)
    .execute();
  await db.schema
    .createIndex('certificates_account_validity')
    .on('certificates')
    .columns(['account_uid', 'not_after', 'revoked_at', 'source', 'deleted_at'])
    .where(live)
    .execute();
  await db.schema.createIndex('certificates_order').on('certificates').column('order_id').execute();
  await db.schema.dropIndex('certificates_account').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('orders_account').on('orders').columns(['account_uid', 'created_at']).execute();
  await db.schema
    .createIndex('certificates_account')
    .on('certificates')
    .columns(['account_uid', 'created_at'])
    .execute();
  for (const name of [
    'orders_account_live',
    'orders_account_status',
    'orders_account_group',
    'certificates_account_live',
    'certificates_account_validity',
    'certificates_order',
  ])
    await db.schema.dropIndex(name).execute();
}
