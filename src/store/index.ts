import { sql } from 'kysely';
import { AccountStore } from './accounts.js';
import { openConnection, type Connection, type Db } from './db.js';
import { CertificateStore, OrderStore } from './orders.js';
import { MetaStore } from './meta.js';
import { nonceStore, type NonceStore } from './nonces.js';
import { PlanStore } from './plans.js';
import { ContactStore } from './contacts.js';
import { CsrStore } from './csrs.js';
import { RepositoryStore } from './repository.js';

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

  private constructor(readonly conn: Connection) {
    this.accounts = new AccountStore(conn);
    this.plans = new PlanStore(conn.db, conn);
    this.nonces = nonceStore(conn);
    this.meta = new MetaStore(conn.db);
    this.orders = new OrderStore(conn.db);
    this.certificates = new CertificateStore(conn.db);
    this.repository = new RepositoryStore(conn.db);
    this.csrs = new CsrStore(conn.db);
    this.contacts = new ContactStore(conn.db);
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

  /** True when the database answers (for /readyz). */
  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.conn.db);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs fn in one write transaction, with repositories bound to it. */
  transaction<T>(fn: (tx: TxStores) => Promise<T>): Promise<T> {
    return this.conn.transaction((db) => fn(txStores(db)));
  }

  async close(): Promise<void> {
    await this.nonces.drain().catch(() => undefined);
    await this.conn.close();
  }
}

export { StoreError } from './db.js';

export interface TxStores {
  plans: PlanStore;
  orders: OrderStore;
  certificates: CertificateStore;
  repository: RepositoryStore;
  contacts: ContactStore;
}

function txStores(db: Db): TxStores {
  return {
    plans: new PlanStore(db),
    orders: new OrderStore(db),
    certificates: new CertificateStore(db),
    repository: new RepositoryStore(db),
    contacts: new ContactStore(db),
  };
}
