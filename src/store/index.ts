import type SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { Prepared } from './prepared.js';
import { AccountStore } from './accounts.js';
import { BulkStore } from './bulk.js';
import { openConnection, type Connection, type Db, type Dialect } from './db.js';
import { CertificateStore, OrderStore } from './orders.js';
import { MetaStore } from './meta.js';
import { nonceStore, type NonceStore } from './nonces.js';
import { PlanStore } from './plans.js';
import { ContactStore } from './contacts.js';
import { CsrStore } from './csrs.js';
import { RepositoryStore } from './repository.js';
import { KeyPoolStore } from './key-pool.js';
import { LATEST_MIGRATION } from './migrations/index.js';

/** The storage authority: the only code that speaks SQL. */
export class Store {
  readonly accounts: AccountStore;
  readonly plans: PlanStore;
  readonly nonces: NonceStore;
  readonly meta: MetaStore;
  readonly orders: OrderStore;
  readonly certificates: CertificateStore;
  readonly repository: RepositoryStore;
  readonly csrs: CsrStore;
  readonly contacts: ContactStore;
  readonly keyPool: KeyPoolStore;
  readonly bulk: BulkStore;

  private constructor(readonly conn: Connection) {
    this.accounts = new AccountStore(conn);
    this.plans = new PlanStore(conn.db, conn);
    this.nonces = nonceStore(conn);
    this.meta = new MetaStore(conn.db);
    this.orders = new OrderStore(conn.db, conn.dialect);
    this.certificates = new CertificateStore(conn.db);
    this.repository = new RepositoryStore(conn.db);
    this.csrs = new CsrStore(conn.db);
    this.contacts = new ContactStore(conn.db);
    this.keyPool = new KeyPoolStore(conn.db, conn.dialect);
    this.bulk = new BulkStore(conn);
  }

  static async open(url: string): Promise<Store> {
    const conn = openConnection(url);
    try {
      await conn.migrate();
    } catch (err) {
      await conn.close();
      throw err;
    }
    return new Store(conn);
  }

  /**
   * True when the database answers and holds this build's migrations (for /readyz): a database restored
   * from before the newest migration, or emptied under the server, is not ready.
   */
  async ping(): Promise<boolean> {
    try {
      const r = await sql`select 1 from kysely_migration where name = ${LATEST_MIGRATION}`.execute(
        this.conn.db,
      );
      return r.rows.length === 1;
    } catch {
      return false;
    }
  }

  /**
   * The space the database takes, in bytes: on SQLite the file's size once the WAL is checkpointed into it,
   * on PostgreSQL pg_total_relation_size (tables, indexes, TOAST) summed over the tables of the schema in use.
   */
  async databaseBytes(): Promise<number> {
    if (this.conn.dialect === 'sqlite') {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(this.conn.db);
      const r = await sql<{ n: number }>`
        select page_count * page_size as n from pragma_page_count(), pragma_page_size()`.execute(
        this.conn.db,
      );
      return Number(r.rows[0]?.n ?? 0);
    }
    const r = await sql<{ n: number | null }>`
      select sum(pg_total_relation_size(c.oid)) as n from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p')`.execute(this.conn.db);
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Runs fn in one write transaction, with repositories bound to it. */
  transaction<T>(fn: (tx: TxStores) => Promise<T>): Promise<T> {
    return this.conn.transaction((db) => fn(txStores(db, this.conn.dialect, this.conn.sqlite)));
  }

  async close(): Promise<void> {
    await this.nonces.drain().catch(() => undefined);
    await this.conn.close();
  }
}

export { StoreError, sqlitePath } from './db.js';

export interface TxStores {
  plans: PlanStore;
  orders: OrderStore;
  certificates: CertificateStore;
  repository: RepositoryStore;
  contacts: ContactStore;
}

function txStores(db: Db, dialect: Dialect, raw?: SQLite.Database): TxStores {
  return {
    plans: new PlanStore(db),
    orders: new OrderStore(db, dialect, raw && new Prepared(raw)),
    certificates: new CertificateStore(db, raw && new Prepared(raw)),
    repository: new RepositoryStore(db),
    contacts: new ContactStore(db),
  };
}
