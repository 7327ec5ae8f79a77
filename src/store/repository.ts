import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Db } from './db.js';
import { explain } from './explain.js';
import type { CertificatesTable, Database } from './schema.js';

type CertificateRow = CertificatesTable;

/**
 * `column` contains `keyword`, ignoring case, with LIKE's wildcards in the keyword escaped. The same on
 * SQLite (whose LIKE ignores ASCII case) and PostgreSQL (whose LIKE does not): both sides are lower-cased.
 */
export function containsText(column: string, keyword: string) {
  const pattern = `%${keyword.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
  return sql<boolean>`lower(coalesce(${sql.ref(column)}, '')) like lower(${pattern}) escape '\\'`;
}

/**
 * One page of a filtered query and the total it pages through: newest first by `orderColumn`, the id
 * breaking ties so pages never overlap or skip.
 */
export async function pageOf<Row>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  q: SelectQueryBuilder<Database, any, object>,
  orderColumn: string,
  offset: number,
  limit: number,
): Promise<{ total: number; rows: Row[] }> {
  const p = pageQueries(q, orderColumn, offset, limit);
  const count = await p.count.executeTakeFirstOrThrow();
  const rows = await p.page.execute();
  return { total: Number(count.n), rows: rows as Row[] };
}

/** pageOf's two statements. */
export function pageQueries(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  q: SelectQueryBuilder<Database, any, object>,
  orderColumn: string,
  offset: number,
  limit: number,
) {
  return {
    count: q.select(sql<number>`count(*)`.as('n')),
    page: q
      .selectAll()
      .orderBy(sql.ref(orderColumn), 'desc')
      .orderBy(sql.ref('id'), 'desc')
      .offset(offset)
      .limit(limit),
  };
}

/** A unique index refused the row (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/** ListUserCertificateOrder with OrderType CERT or UPLOAD. */
export interface RepositoryListFilter {
  accountUid: number;
  uploadOnly: boolean;
  /** ISSUED, WILLEXPIRED or EXPIRED; none lists the valid ones (ISSUED and WILLEXPIRED). */
  status?: string;
  keyword?: string;
  /**
   * What else the keyword names, resolved from it by the caller: the certificate whose InstanceId,
   * CertIdentifier or CertId it is (of `source` only, for a `cas-upload-`/`cas-cert-` InstanceId), or the
   * certificate of the order whose InstanceId it is.
   */
  keywordIds?: { certificateId?: number; source?: 'upload' | 'issued'; orderId?: number };
  resourceGroupId?: string;
  now: number;
  willExpireMs: number;
  offset: number;
  limit: number;
}

/**
 * The certificate repository: issued and uploaded certificates as the repository actions see them (deleted
 * ones left out), and the resource-group label of certificates and orders.
 */
export class RepositoryStore {
  constructor(private readonly db: Db) {}

  /** Inserts an uploaded certificate; 'name-taken' when the account already has a certificate of that name. */
  async insertUpload(row: CertificateRow): Promise<'ok' | 'name-taken'> {
    if (row.name !== null && (await this.nameTaken(row.account_uid, row.name))) return 'name-taken';
    try {
      await this.db.insertInto('certificates').values(row).execute();
      return 'ok';
    } catch (err) {
      if (isUniqueViolation(err)) return 'name-taken';
      throw err;
    }
  }

  async nameTaken(accountUid: number, name: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('certificates')
      .select('id')
      .where('account_uid', '=', accountUid)
      .where('name', '=', name)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** A certificate of this account that has not been deleted. */
  async find(accountUid: number, id: number): Promise<CertificateRow | undefined> {
    return this.db
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
  }

  /**
   * Deletes a certificate (the row stays for its order's record; its key goes). Uploaded ones always;
   * issued ones only when expired by `now` or revoked, checked in the same statement. False when not done.
   */
  async delete(accountUid: number, id: number, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('certificates')
      .set({ deleted_at: now, key_sealed: null })
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .where('deleted_at', 'is', null)
      .where((eb) =>
        eb.or([eb('source', '=', 'upload'), eb('not_after', '<=', now), eb('revoked_at', 'is not', null)]),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * MoveResourceGroup: labels a certificate, or an order and the certificate issued for it, of the account;
   * false when there is none. Run it in a transaction for an order.
   */
  async setResourceGroup(
    table: 'certificates' | 'orders',
    accountUid: number,
    id: number,
    resourceGroupId: string,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable(table)
      .set({ resource_group_id: resourceGroupId })
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    if (table === 'orders') {
      await this.db
        .updateTable('certificates')
        .set({ resource_group_id: resourceGroupId })
        .where('order_id', '=', id)
        .where('account_uid', '=', accountUid)
        .execute();
    }
    return true;
  }

  /**
   * Gives an order's certificates the order's current resource group. Issuance runs it in its transaction,
   * after the certificate insert, so a MoveResourceGroup that races the issuance is never lost.
   */
  async inheritOrderGroup(orderId: number): Promise<void> {
    await this.db
      .updateTable('certificates')
      .set((eb) => ({
        resource_group_id: eb
          .selectFrom('orders')
          .select('orders.resource_group_id')
          .where('orders.id', '=', orderId),
      }))
      .where('order_id', '=', orderId)
      .execute();
  }

  /**
   * The filtered certificates. For a page, the validity bounds are written `not_after + 0`, which no index
   * can serve: the page is then read in the order of certificates_account_live, newest first, and stops after
   * one page, instead of sorting every valid certificate of the account. The count keeps the plain form, which
   * certificates_account_validity counts in the index alone.
   */
  private filtered(f: RepositoryListFilter, forPage: boolean) {
    const notAfter = forPage ? sql<number>`not_after + 0` : sql.ref<number>('not_after');
    let q = this.db
      .selectFrom('certificates')
      .where('account_uid', '=', f.accountUid)
      .where('deleted_at', 'is', null);
    if (f.uploadOnly) q = q.where('source', '=', 'upload');
    if (f.resourceGroupId !== undefined) q = q.where('resource_group_id', '=', f.resourceGroupId);
    const keyword = f.keyword;
    if (keyword) {
      const ids = f.keywordIds ?? {};
      q = q.where((eb) => {
        const any: Array<Expression<SqlBool>> = ['sans', 'common_name', 'name'].map((c) =>
          containsText(c, keyword),
        );
        // Digits: any part of the CertId, as the order lists match any part of the OrderId.
        if (/^\d+$/.test(keyword)) any.push(sql<boolean>`cast(id as text) like ${`%${keyword}%`}`);
        if (ids.certificateId !== undefined) {
          const byId = eb('id', '=', ids.certificateId);
          any.push(ids.source ? eb.and([byId, eb('source', '=', ids.source)]) : byId);
        }
        if (ids.orderId !== undefined) any.push(eb('order_id', '=', ids.orderId));
        return eb.or(any);
      });
    }
    const valid = q.where('revoked_at', 'is', null);
    switch (f.status) {
      case undefined:
        return valid.where(notAfter, '>', f.now);
      case 'ISSUED':
        return valid.where(notAfter, '>', f.now + f.willExpireMs);
      case 'WILLEXPIRED':
        return valid.where(notAfter, '>', f.now).where(notAfter, '<=', f.now + f.willExpireMs);
      case 'EXPIRED':
        return q.where(notAfter, '<=', f.now);
      default:
        return q.where(sql<boolean>`1 = 0`);
    }
  }

  /** A page of certificates, newest first. */
  async list(f: RepositoryListFilter): Promise<{ total: number; rows: CertificateRow[] }> {
    const count = await pageQueries(
      this.filtered(f, false),
      'created_at',
      f.offset,
      f.limit,
    ).count.executeTakeFirstOrThrow();
    const rows = await pageQueries(this.filtered(f, true), 'created_at', f.offset, f.limit).page.execute();
    return { total: Number(count.n), rows: rows as CertificateRow[] };
  }

  /** The query plans of list(f)'s statements (for the benchmark and the tests that guard the indexes). */
  async explainList(f: RepositoryListFilter): Promise<{ count: string[]; page: string[] }> {
    const count = pageQueries(this.filtered(f, false), 'created_at', f.offset, f.limit).count;
    const page = pageQueries(this.filtered(f, true), 'created_at', f.offset, f.limit).page;
    return { count: await explain(this.db, count), page: await explain(this.db, page) };
  }
}
