import { sql } from 'kysely';
import type { Db, Dialect } from './db.js';
import { explain } from './explain.js';
import type { Prepared } from './prepared.js';
import type {
  CertificatesTable,
  DomainValidationsTable,
  OrderEventsTable,
  OrderStatus,
  OrdersTable,
} from './schema.js';

export type OrderRow = OrdersTable;
export type CertificateRow = CertificatesTable;
export type OrderEventRow = OrderEventsTable;

/** How the list filters of ListUserCertificateOrder reach SQL. */
export interface OrderListFilter {
  accountUid: number;
  /** API list status, upper case (decisions.md 11). */
  status?: string;
  keyword?: string;
  /**
   * What a Keyword names in full, matched as well as the text: an order by its InstanceId (`cas-order-…`), or
   * the order of an issued certificate by the certificate's InstanceId or CertIdentifier.
   */
  keywordIds?: { orderId?: number; certificateId?: number };
  resourceGroupId?: string;
  now: number;
  willExpireMs: number;
  offset: number;
  limit: number;
}

/** The list statuses read from the certificate's validity; the others are the order's own columns. */
const BY_VALIDITY: readonly string[] = ['ISSUED', 'WILLEXPIRED', 'EXPIRED'];

/** Rows per multi-row statement: well below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const CHUNK = 200;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class OrderStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect = 'sqlite',
    /** Inside a SQLite transaction: prepared statements for the batch writes. */
    private readonly prepared?: Prepared,
  ) {}

  async insert(row: OrderRow): Promise<void> {
    await this.db.insertInto('orders').values(row).execute();
  }

  /** An order of this account that has not been deleted. */
  async find(accountUid: number, id: number): Promise<OrderRow | undefined> {
    return this.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
  }

  async findAny(id: number): Promise<OrderRow | undefined> {
    return this.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Inside a transaction: the order, locked against concurrent writers until the transaction ends (PostgreSQL
   * `FOR UPDATE`; a SQLite write transaction holds the whole database already).
   */
  async findForUpdate(id: number): Promise<OrderRow | undefined> {
    let q = this.db.selectFrom('orders').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** A renewal of the order that has been neither deleted nor revoked, if any (the newest). */
  async liveRenewalOf(id: number): Promise<Pick<OrderRow, 'id' | 'status'> | undefined> {
    return this.db
      .selectFrom('orders')
      .select(['id', 'status'])
      .where('renewed_from', '=', id)
      .where('deleted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /**
   * Updates the order only while it is in one of `from` and not deleted (and, when asked, not revoked and
   * with `unit_returned` as read); false when it was not.
   */
  async update(
    id: number,
    from: OrderStatus[],
    set: Partial<OrderRow>,
    also: { notRevoked?: boolean; unitReturned?: number } = {},
  ): Promise<boolean> {
    let q = this.db
      .updateTable('orders')
      .set(set)
      .where('id', '=', id)
      .where('status', 'in', from)
      .where('deleted_at', 'is', null);
    if (also.notRevoked) q = q.where('revoked_at', 'is', null);
    if (also.unitReturned !== undefined) q = q.where('unit_returned', '=', also.unitReturned);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Appends an event with the order's next seq. Two writers must never take the same seq: on SQLite the seq
   * is computed in the insert itself (one statement is atomic there); on PostgreSQL the order's row is locked
   * first (in a transaction of its own when not already in one), so concurrent writers take turns.
   */
  async addEvent(e: Omit<OrderEventRow, 'seq'>): Promise<void> {
    if (this.dialect === 'sqlite') {
      await this.db
        .insertInto('order_events')
        .values({
          ...e,
          seq: sql<number>`(select coalesce(max(seq), 0) + 1 from order_events where order_id = ${e.order_id})`,
        })
        .execute();
      return;
    }
    if (!this.db.isTransaction) {
      await this.db.transaction().execute((trx) => new OrderStore(trx, this.dialect).addEvent(e));
      return;
    }
    await this.lockOrders([e.order_id]);
    const last = await this.db
      .selectFrom('order_events')
      .select(sql<number>`coalesce(max(seq), 0)`.as('seq'))
      .where('order_id', '=', e.order_id)
      .executeTakeFirstOrThrow();
    await this.db
      .insertInto('order_events')
      .values({ ...e, seq: Number(last.seq) + 1 })
      .execute();
  }

  /** PostgreSQL: locks the orders' rows (in id order) until the transaction ends; what event writers take turns on. */
  private async lockOrders(ids: number[]): Promise<void> {
    for (const part of chunks(
      [...ids].sort((a, b) => a - b),
      500,
    )) {
      await this.db
        .selectFrom('orders')
        .select('id')
        .where('id', 'in', part)
        .orderBy('id')
        .forUpdate()
        .execute();
    }
  }

  /** Appends events (several per order allowed, kept in the given order): one read of the last seqs, one insert per chunk. */
  async addEvents(events: Array<Omit<OrderEventRow, 'seq'>>): Promise<void> {
    if (events.length === 0) return;
    if (this.prepared) {
      const lastSeq = this.prepared.statement(
        'select coalesce(max(seq), 0) as seq from order_events where order_id = ?',
      );
      const seqs = new Map<number, number>();
      const rows = events.map((e) => {
        const seq = (seqs.get(e.order_id) ?? Number((lastSeq.get(e.order_id) as { seq: number }).seq)) + 1;
        seqs.set(e.order_id, seq);
        return { ...e, seq };
      });
      this.prepared.insertRows('order_events', rows);
      return;
    }
    const ids = [...new Set(events.map((e) => e.order_id))];
    if (this.dialect === 'postgres') {
      if (!this.db.isTransaction) {
        await this.db.transaction().execute((trx) => new OrderStore(trx, this.dialect).addEvents(events));
        return;
      }
      await this.lockOrders(ids);
    }
    const last = new Map<number, number>();
    for (const part of chunks(ids, 500)) {
      const rows = await this.db
        .selectFrom('order_events')
        .select(['order_id', sql<number>`max(seq)`.as('seq')])
        .where('order_id', 'in', part)
        .groupBy('order_id')
        .execute();
      for (const r of rows) last.set(Number(r.order_id), Number(r.seq));
    }
    const rows = events.map((e) => {
      const seq = (last.get(e.order_id) ?? 0) + 1;
      last.set(e.order_id, seq);
      return { ...e, seq };
    });
    for (const part of chunks(rows)) await this.db.insertInto('order_events').values(part).execute();
  }

  async events(orderId: number): Promise<OrderEventRow[]> {
    return this.db
      .selectFrom('order_events')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('seq')
      .execute();
  }

  /**
   * Leases up to `limit` orders whose background work is due and returns them, in one statement; a lease
   * that ran out (dead server) is taken over. On PostgreSQL the candidates are locked with SKIP LOCKED, so
   * servers claiming at the same moment take different orders instead of waiting on each other.
   */
  async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<OrderRow[]> {
    let due = this.db
      .selectFrom('orders')
      .select('id')
      .where('status', 'in', ['domain_verify', 'process'])
      .where('deleted_at', 'is', null)
      .where('next_check_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_check_at')
      .limit(limit);
    if (this.dialect === 'postgres') {
      due = due.forUpdate().skipLocked();
    } else {
      // SQLite: read first, and write only when something is due. An UPDATE takes the database's write lock
      // even when it changes nothing, and a pass runs every few hundred milliseconds: an idle server would
      // then queue behind any outside writer (a backup, a sqlite3 shell) on every pass.
      const ids = (await due.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      return this.db
        .updateTable('orders')
        .set({ lease_owner: owner, lease_until: now + leaseMs })
        .where('id', 'in', ids)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .execute();
    }
    return this.db
      .updateTable('orders')
      .set({ lease_owner: owner, lease_until: now + leaseMs })
      .where('id', 'in', due)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .returningAll()
      .execute();
  }

  async releaseLease(id: number, owner: string, set: Partial<OrderRow> = {}): Promise<void> {
    await this.db
      .updateTable('orders')
      .set({ ...set, lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Releases the leases `owner` holds on these orders. */
  async releaseLeases(ids: number[], owner: string): Promise<void> {
    for (const part of chunks(ids, 500)) {
      await this.db
        .updateTable('orders')
        .set({ lease_owner: null, lease_until: null })
        .where('id', 'in', part)
        .where('lease_owner', '=', owner)
        .execute();
    }
  }

  /**
   * Moves `domain_verify` orders whose every name passed validation at `at` to `process` (validated names =
   * names, one more attempt), in one statement per chunk. Returns the ids that moved: a cancelled or deleted
   * order does not.
   */
  async passValidation(ids: number[], at: number): Promise<number[]> {
    const moved: number[] = [];
    for (const part of chunks(ids, 500)) {
      const rows = await this.db
        .updateTable('orders')
        .set((eb) => ({
          status: 'process',
          validated_names: eb.ref('names'),
          check_attempts: eb('check_attempts', '+', 1),
          last_check_at: at,
          updated_at: at,
          next_check_at: at,
        }))
        .where('id', 'in', part)
        .where('status', '=', 'domain_verify')
        .where('deleted_at', 'is', null)
        .returning('id')
        .execute();
      for (const r of rows) moved.push(Number(r.id));
    }
    return moved;
  }

  /**
   * Marks `process` orders issued with their certificate ids, one statement per chunk; returns the orders that
   * were still in `process` (a cancel that won the race leaves its order out) with their resource group as
   * it stands now, locked until the transaction ends.
   */
  async markIssued(
    items: Array<{ id: number; certificateId: number }>,
    at: number,
  ): Promise<Array<{ id: number; resource_group_id: string | null }>> {
    const out: Array<{ id: number; resource_group_id: string | null }> = [];
    if (this.prepared) {
      const mark = this.prepared.statement(
        `update orders set status = 'certificate', certificate_id = ?, issued_at = ?, next_check_at = null,
         updated_at = ? where id = ? and status = 'process' and deleted_at is null returning resource_group_id`,
      );
      for (const i of items) {
        const row = mark.get(i.certificateId, at, at, i.id) as
          { resource_group_id: string | null } | undefined;
        if (row) out.push({ id: i.id, resource_group_id: row.resource_group_id });
      }
      return out;
    }
    for (const part of chunks(items)) {
      const certificateId = sql<number>`case id ${sql.join(
        part.map((i) => sql`when ${i.id} then cast(${i.certificateId} as bigint)`),
        sql` `,
      )} end`;
      const rows = await this.db
        .updateTable('orders')
        .set({
          status: 'certificate',
          certificate_id: certificateId,
          issued_at: at,
          next_check_at: null,
          updated_at: at,
        })
        .where(
          'id',
          'in',
          part.map((i) => i.id),
        )
        .where('status', '=', 'process')
        .where('deleted_at', 'is', null)
        .returning(['id', 'resource_group_id'])
        .execute();
      for (const r of rows) out.push({ id: Number(r.id), resource_group_id: r.resource_group_id });
    }
    return out;
  }

  /** After a restart of a single-node (SQLite) server every lease is stale: nobody else can hold one. */
  async releaseAllLeases(): Promise<void> {
    await this.db
      .updateTable('orders')
      .set({ lease_owner: null, lease_until: null })
      .where('lease_owner', 'is not', null)
      .execute();
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('orders')
      .select(['status', sql<number>`count(*)`.as('n')])
      .where('deleted_at', 'is', null)
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async nextDueAt(): Promise<number | null> {
    const r = await this.db
      .selectFrom('orders')
      .select(sql<number | null>`min(next_check_at)`.as('t'))
      .where('status', 'in', ['domain_verify', 'process'])
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return r.t === null ? null : Number(r.t);
  }

  private filtered(f: OrderListFilter, withCertificate: boolean) {
    const joined = this.db
      .selectFrom('orders')
      .leftJoin('certificates', 'certificates.id', 'orders.certificate_id');
    // A left join on the certificate's primary key never changes the number of rows: a count whose filter
    // reads nothing of the certificate leaves it out, and is then counted in an index of orders alone.
    const from =
      withCertificate || BY_VALIDITY.includes(f.status ?? '')
        ? joined
        : (this.db.selectFrom('orders') as unknown as typeof joined);
    let q = from.where('orders.account_uid', '=', f.accountUid).where('orders.deleted_at', 'is', null);
    if (f.resourceGroupId !== undefined) q = q.where('orders.resource_group_id', '=', f.resourceGroupId);
    if (f.keyword) {
      // Names are stored in lower case; PostgreSQL's LIKE, unlike SQLite's, minds case.
      const like = `%${f.keyword.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      q = q.where((eb) =>
        eb.or([
          eb('orders.names', 'like', sql<string>`${like} escape '\\'`),
          eb(sql<string>`cast(orders.id as text)`, 'like', sql<string>`${like} escape '\\'`),
          ...(f.keywordIds?.orderId === undefined ? [] : [eb('orders.id', '=', f.keywordIds.orderId)]),
          ...(f.keywordIds?.certificateId === undefined
            ? []
            : [eb('orders.certificate_id', '=', f.keywordIds.certificateId)]),
        ]),
      );
    }
    switch (f.status) {
      case undefined:
        break;
      case 'PAYED':
        q = q.where('orders.status', '=', 'payed');
        break;
      case 'CHECKING':
        q = q.where('orders.status', 'in', ['domain_verify', 'process']);
        break;
      case 'CHECKED_FAIL':
        q = q.where('orders.status', '=', 'verify_fail');
        break;
      case 'REVOKED':
        q = q.where('orders.status', '=', 'certificate').where('orders.revoked_at', 'is not', null);
        break;
      case 'ISSUED':
        q = q
          .where('orders.status', '=', 'certificate')
          .where('orders.revoked_at', 'is', null)
          .where('certificates.not_after', '>', f.now + f.willExpireMs);
        break;
      case 'WILLEXPIRED':
        q = q
          .where('orders.status', '=', 'certificate')
          .where('orders.revoked_at', 'is', null)
          .where('certificates.not_after', '>', f.now)
          .where('certificates.not_after', '<=', f.now + f.willExpireMs);
        break;
      case 'EXPIRED':
        q = q
          .where('orders.status', '=', 'certificate')
          .where('orders.revoked_at', 'is', null)
          .where('certificates.not_after', '<=', f.now);
        break;
      default:
        // NOTACTIVATED and anything else: no order is ever in it.
        q = q.where(sql<boolean>`1 = 0`);
    }
    return q;
  }

  /** ListUserCertificateOrder's two statements: the total, and one page newest first (the id breaks ties). */
  private listQueries(f: OrderListFilter) {
    return {
      count: this.filtered(f, false).select(sql<number>`count(*)`.as('n')),
      page: this.filtered(f, true)
        .selectAll('orders')
        .select(['certificates.not_before', 'certificates.not_after'])
        .orderBy('orders.created_at', 'desc')
        .orderBy('orders.id', 'desc')
        .offset(f.offset)
        .limit(f.limit),
    };
  }

  async list(f: OrderListFilter): Promise<{
    total: number;
    rows: Array<OrderRow & { not_before: number | null; not_after: number | null }>;
  }> {
    const q = this.listQueries(f);
    const count = await q.count.executeTakeFirstOrThrow();
    const rows = await q.page.execute();
    return {
      total: Number(count.n),
      rows: rows as Array<OrderRow & { not_before: number | null; not_after: number | null }>,
    };
  }

  /** The query plans of list(f)'s statements (for the benchmark and the tests that guard the indexes). */
  async explainList(f: OrderListFilter): Promise<{ count: string[]; page: string[] }> {
    const q = this.listQueries(f);
    return { count: await explain(this.db, q.count), page: await explain(this.db, q.page) };
  }

  async recordValidation(row: DomainValidationsTable): Promise<void> {
    await this.db
      .insertInto('domain_validations')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['account_uid', 'name'])
          .doUpdateSet({ method: row.method, validated_at: row.validated_at }),
      )
      .execute();
  }

  /** recordValidation for many (account, name) pairs at once; the last of a repeated pair wins. */
  async recordValidations(rows: DomainValidationsTable[]): Promise<void> {
    const unique = [...new Map(rows.map((r) => [`${r.account_uid}\n${r.name}`, r])).values()];
    for (const part of chunks(unique)) {
      await this.db
        .insertInto('domain_validations')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['account_uid', 'name']).doUpdateSet((eb) => ({
            method: eb.ref('excluded.method'),
            validated_at: eb.ref('excluded.validated_at'),
          })),
        )
        .execute();
    }
  }

  async validationsSince(accountUid: number, names: string[], since: number): Promise<string[]> {
    if (names.length === 0) return [];
    const rows = await this.db
      .selectFrom('domain_validations')
      .select('name')
      .where('account_uid', '=', accountUid)
      .where('name', 'in', names)
      .where('validated_at', '>=', since)
      .execute();
    return rows.map((r) => r.name);
  }
}

export class CertificateStore {
  constructor(
    private readonly db: Db,
    /** Inside a SQLite transaction: prepared statements for the batch writes. */
    private readonly prepared?: Prepared,
  ) {}

  async insert(row: CertificateRow): Promise<void> {
    await this.db.insertInto('certificates').values(row).execute();
  }

  async insertMany(rows: CertificateRow[]): Promise<void> {
    if (this.prepared)
      return this.prepared.insertRows('certificates', rows as unknown as Array<Record<string, unknown>>);
    for (const part of chunks(rows)) await this.db.insertInto('certificates').values(part).execute();
  }

  async find(accountUid: number, id: number): Promise<CertificateRow | undefined> {
    return this.db
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .executeTakeFirst();
  }

  async findAny(id: number): Promise<CertificateRow | undefined> {
    return this.db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async markRevoked(id: number, at: number, reason: string): Promise<void> {
    await this.db
      .updateTable('certificates')
      .set({ revoked_at: at, revoke_reason: reason })
      .where('id', '=', id)
      .execute();
  }
}
