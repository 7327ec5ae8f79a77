import { sql, type Kysely } from 'kysely';

/**
 * The renewals of an order (RenewCertificateOrderForPackageRequest allows one live renewal per order): found
 * through `renewed_from`, which only renewal orders set, so the index holds those rows alone.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index orders_renewed_from on orders (renewed_from) where renewed_from is not null`.execute(
    db,
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index orders_renewed_from`.execute(db);
}
