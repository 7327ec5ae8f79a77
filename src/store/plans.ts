import { sql } from 'kysely';
import type { Db } from './db.js';
import type { PlansTable } from './schema.js';

export type PlanRow = PlansTable;

export interface Counters {
  totalCount: number;
  usedCount: number;
  issuedCount: number;
}

export class PlanStore {
  constructor(private readonly db: Db) {}

  async insert(row: PlanRow): Promise<void> {
    await this.db.insertInto('plans').values(row).execute();
  }

  /** Inserts unless a row with the same (account, product, source, period) exists. */
  async insertOnce(row: PlanRow): Promise<boolean> {
    const r = await this.db
      .insertInto('plans')
      .values(row)
      .onConflict((oc) => oc.columns(['account_uid', 'product_code', 'source', 'period']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async list(accountUid: number): Promise<PlanRow[]> {
    return this.db
      .selectFrom('plans')
      .selectAll()
      .where('account_uid', '=', accountUid)
      .orderBy('product_code')
      .orderBy('starts_at')
      .orderBy('id')
      .execute();
  }

  /** The stored counters of the plans active at `now`, summed: a handful of rows, never a recount of orders. */
  async activeCounters(accountUid: number, productCode: string, now: number): Promise<Counters> {
    const row = await this.db
      .selectFrom('plans')
      .select([
        sql<string | number>`coalesce(sum(total_count), 0)`.as('total'),
        sql<string | number>`coalesce(sum(used_count), 0)`.as('used'),
        sql<string | number>`coalesce(sum(issued_count), 0)`.as('issued'),
      ])
      .where('account_uid', '=', accountUid)
      .where('product_code', '=', productCode)
      .where('starts_at', '<=', now)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirstOrThrow();
    return { totalCount: Number(row.total), usedCount: Number(row.used), issuedCount: Number(row.issued) };
  }
}
