import type SQLite from 'better-sqlite3';
import { LruMap } from '../lru.js';
import type { Connection, Db } from './db.js';
import { HotQuery } from './prepared.js';
import type { AccessKeysTable, AccountsTable } from './schema.js';

export type AccountRow = AccountsTable;
export type AccessKeyRow = AccessKeysTable;

/** How many AccessKey rows a SQLite server keeps in memory. */
export const KEY_ROW_CACHE_SIZE = 10_000;

export class AccountStore {
  private readonly db: Db;
  /** The key lookup of every signed request, prepared once. */
  private readonly hotFindKey: HotQuery<[string], AccessKeyRow>;
  /**
   * SQLite only: key rows as last read, valid while `PRAGMA data_version` stays the same (it changes
   * whenever another connection, such as the admin CLI, commits anything) and dropped on this store's own
   * writes to the row. PostgreSQL reads the row every time: other servers write without telling.
   */
  private readonly rows?: { version: number; cache: LruMap<string, AccessKeyRow>; stmt: SQLite.Statement };

  constructor(private readonly conn: Connection) {
    this.db = conn.db;
    this.hotFindKey = new HotQuery(conn, 'opencas_find_key', 1, (db, id) =>
      db.selectFrom('access_keys').selectAll().where('id', '=', id),
    );
    if (conn.sqlite)
      this.rows = {
        version: -1,
        cache: new LruMap(KEY_ROW_CACHE_SIZE),
        stmt: conn.sqlite.prepare('pragma data_version').pluck(),
      };
  }

  /** The cached row for `id`, after dropping every row if another connection committed since. */
  private cachedKey(id: string): AccessKeyRow | undefined {
    const rows = this.rows!;
    const version = rows.stmt.get() as number;
    if (version !== rows.version) {
      rows.cache = new LruMap(KEY_ROW_CACHE_SIZE);
      rows.version = version;
    }
    return rows.cache.get(id);
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
    this.rows?.cache.delete(row.id);
    try {
      await this.db.insertInto('access_keys').values(row).execute();
    } finally {
      this.rows?.cache.delete(row.id);
    }
  }

  async findKey(id: string): Promise<AccessKeyRow | undefined> {
    if (this.rows && !this.conn.sqlite!.inTransaction) {
      const hit = this.cachedKey(id);
      if (hit) return hit;
      // Read and cached in one synchronous step, so no write of ours can fall in between.
      const r = this.hotFindKey.firstNow(id);
      if (r.ran) {
        if (r.row) this.rows.cache.set(id, r.row);
        return r.row;
      }
    }
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
    this.rows?.cache.delete(id);
    try {
      const r = await this.db.updateTable('access_keys').set(set).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    } finally {
      // Dropped again once the write is in: a lookup that ran while it waited may have cached the old row.
      this.rows?.cache.delete(id);
    }
  }
}
