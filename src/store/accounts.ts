import type { Connection, Db } from './db.js';
import { HotQuery } from './prepared.js';
import type { AccessKeysTable, AccountsTable } from './schema.js';

export type AccountRow = AccountsTable;
export type AccessKeyRow = AccessKeysTable;

export class AccountStore {
  private readonly db: Db;
  /** The key lookup of every signed request, prepared once. */
  private readonly hotFindKey: HotQuery<[string], AccessKeyRow>;

  constructor(conn: Connection) {
    this.db = conn.db;
    this.hotFindKey = new HotQuery(conn, 'opencas_find_key', 1, (db, id) =>
      db.selectFrom('access_keys').selectAll().where('id', '=', id),
    );
  }

  async insertAccount(row: AccountRow): Promise<void> {
    await this.db.insertInto('accounts').values(row).execute();
  }

  async findAccount(uid: number): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('uid', '=', uid).executeTakeFirst();
  }

  async findAccountByName(name: string): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async findRoot(): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('is_root', '=', 1).executeTakeFirst();
  }

  async listAccounts(): Promise<AccountRow[]> {
    return this.db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('uid').execute();
  }

  async insertKey(row: AccessKeyRow): Promise<void> {
    await this.db.insertInto('access_keys').values(row).execute();
  }

  async findKey(id: string): Promise<AccessKeyRow | undefined> {
    return this.hotFindKey.first(id);
  }

  async listKeys(accountUid: number): Promise<AccessKeyRow[]> {
    return this.db
      .selectFrom('access_keys')
      .selectAll()
      .where('account_uid', '=', accountUid)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async updateKey(
    id: string,
    set: Partial<Pick<AccessKeyRow, 'secret_sealed' | 'status' | 'disabled_at'>>,
  ): Promise<boolean> {
    const r = await this.db.updateTable('access_keys').set(set).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
