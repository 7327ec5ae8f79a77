import type { Db } from './db.js';
import { containsText, pageOf } from './repository.js';
import type { CsrsTable } from './schema.js';

export type CsrRow = CsrsTable;

export interface CsrListFilter {
  accountUid: number;
  algorithm?: string;
  keyword?: string;
  offset: number;
  limit: number;
}

/** The CSR repository (CreateCsr, UploadCsr and the rest). */
export class CsrStore {
  constructor(private readonly db: Db) {}

  async insert(row: CsrRow): Promise<void> {
    await this.db.insertInto('csrs').values(row).execute();
  }

  async find(accountUid: number, id: number): Promise<CsrRow | undefined> {
    return this.db
      .selectFrom('csrs')
      .selectAll()
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .executeTakeFirst();
  }

  /** Replaces the sealed key; false when the CSR is gone. */
  async setKey(accountUid: number, id: number, keySealed: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('csrs')
      .set({ key_sealed: keySealed, updated_at: now })
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(accountUid: number, id: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom('csrs')
      .where('id', '=', id)
      .where('account_uid', '=', accountUid)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private filtered(f: CsrListFilter) {
    let q = this.db.selectFrom('csrs').where('account_uid', '=', f.accountUid);
    if (f.algorithm !== undefined) q = q.where('algorithm', '=', f.algorithm);
    const keyword = f.keyword;
    if (keyword) {
      q = q.where((eb) => eb.or(['name', 'common_name', 'sans'].map((c) => containsText(c, keyword))));
    }
    return q;
  }

  /** A page of CSRs, newest first. */
  list(f: CsrListFilter): Promise<{ total: number; rows: CsrRow[] }> {
    return pageOf(this.filtered(f), 'created_at', f.offset, f.limit);
  }
}
