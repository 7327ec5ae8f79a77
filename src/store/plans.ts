import { sql } from 'kysely';
import type { Connection, Db } from './db.js';
import { HotQuery } from './prepared.js';
import type { PlansTable } from './schema.js';

export type PlanRow = PlansTable;

export interface Counters {
  totalCount: number;
  usedCount: number;
  issuedCount: number;
}

type CounterSums = { total: string | number; used: string | number; issued: string | number };

/** The stored counters of an account's plans for one product code, active at a time: a handful of rows. */
function countersQuery(db: Db, accountUid: number, productCode: string, now: number) {
  return db
    .selectFrom('plans')
    .select([
      sql<string | number>`coalesce(sum(total_count), 0)`.as('total'),
      sql<string | number>`coalesce(sum(used_count), 0)`.as('used'),
      sql<string | number>`coalesce(sum(issued_count), 0)`.as('issued'),
    ])
    .where('account_uid', '=', accountUid)
    .where('product_code', '=', productCode)
    .where('starts_at', '<=', now)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
}

export class PlanStore {
  /** Outside transactions only (`conn` given): the counters read of every DescribePackageState, prepared once. */
  private readonly hotCounters?: HotQuery<[number, string, number], CounterSums>;

  constructor(
    private readonly db: Db,
    conn?: Connection,
  ) {
    if (conn) this.hotCounters = new HotQuery(conn, 'opencas_plan_counters', 3, countersQuery);
  }

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

  /**
   * Takes one unit from the account's active plans for the product code (the one expiring first), with a
   * conditional write so the check and the take are one step. Run inside a transaction with the order insert.
   */
  async takeUnit(
    accountUid: number,
    productCode: string,
    now: number,
  ): Promise<number | 'no-plan' | 'exhausted'> {
    const plans = await this.db
      .selectFrom('plans')
      .select(['id', 'used_count', 'total_count'])
      .where('account_uid', '=', accountUid)
      .where('product_code', '=', productCode)
      .where('starts_at', '<=', now)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy(sql`case when expires_at is null then 1 else 0 end`)
      .orderBy('expires_at')
      .orderBy('id')
      .execute();
    if (plans.length === 0) return 'no-plan';
    for (const p of plans) {
      if (Number(p.used_count) >= Number(p.total_count)) continue;
      const r = await this.db
        .updateTable('plans')
        .set((eb) => ({ used_count: eb('used_count', '+', 1) }))
        .where('id', '=', p.id)
        .whereRef('used_count', '<', 'total_count')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) return Number(p.id);
    }
    return 'exhausted';
  }

  /** Gives a unit back to the plan it was taken from (and the issued count with it, for a refunded revocation). */
  async giveBack(planId: number, issuedToo: boolean): Promise<void> {
    await this.db
      .updateTable('plans')
      .set((eb) =>
        issuedToo
          ? { used_count: eb('used_count', '-', 1), issued_count: eb('issued_count', '-', 1) }
          : { used_count: eb('used_count', '-', 1) },
      )
      .where('id', '=', planId)
      .execute();
  }

  async addIssued(planId: number, count = 1): Promise<void> {
    await this.db
      .updateTable('plans')
      .set((eb) => ({ issued_count: eb('issued_count', '+', count) }))
      .where('id', '=', planId)
      .execute();
  }

  /** Units left in the plans active at `now`, summed over all accounts, per product code. */
  async remainingByProduct(now: number): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('plans')
      .select(['product_code', sql<number>`sum(total_count - used_count)`.as('n')])
      .where('starts_at', '<=', now)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .groupBy('product_code')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.product_code, Number(r.n)]));
  }

  async find(planId: number): Promise<PlanRow | undefined> {
    return this.db.selectFrom('plans').selectAll().where('id', '=', planId).executeTakeFirst();
  }

  /** The stored counters of the plans active at `now`, summed: a handful of rows, never a recount of orders. */
  async activeCounters(accountUid: number, productCode: string, now: number): Promise<Counters> {
    const row = this.hotCounters
      ? await this.hotCounters.first(accountUid, productCode, now)
      : await countersQuery(this.db, accountUid, productCode, now).executeTakeFirst();
    if (!row) throw new Error('a sum over plans returned no row');
    return { totalCount: Number(row.total), usedCount: Number(row.used), issuedCount: Number(row.issued) };
  }
}
