import type { Db } from './db.js';
import { containsText, pageOf } from './repository.js';
import type { ContactsTable } from './schema.js';

export type ContactRow = ContactsTable;

export interface ContactListFilter {
  accountUid: number;
  keyword?: string;
  offset: number;
  limit: number;
}

/** Contacts recorded from applications. */
export class ContactStore {
  constructor(private readonly db: Db) {}

  /** Records a contact, or marks the same (name, e-mail, mobile) as used again at `row.last_used_at`. */
  async record(row: ContactRow): Promise<void> {
    await this.db
      .insertInto('contacts')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['account_uid', 'name', 'email', 'mobile'])
          .doUpdateSet({ last_used_at: row.last_used_at }),
      )
      .execute();
  }

  /** The contact the account used last. */
  async latest(accountUid: number): Promise<ContactRow | undefined> {
    return this.db
      .selectFrom('contacts')
      .selectAll()
      .where('account_uid', '=', accountUid)
      .orderBy('last_used_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  private filtered(f: ContactListFilter) {
    let q = this.db.selectFrom('contacts').where('account_uid', '=', f.accountUid);
    const keyword = f.keyword;
    if (keyword) {
      q = q.where((eb) => eb.or(['name', 'email', 'mobile'].map((c) => containsText(c, keyword))));
    }
    return q;
  }

  /** A page of contacts, most recently used first. */
  list(f: ContactListFilter): Promise<{ total: number; rows: ContactRow[] }> {
    return pageOf(this.filtered(f), 'last_used_at', f.offset, f.limit);
  }
}
