import { AccountStore } from './accounts.js';
import { openConnection, type Connection } from './db.js';
import { MetaStore } from './meta.js';
import { NonceStore } from './nonces.js';
import { PlanStore } from './plans.js';

/** The storage authority: the only code that speaks SQL. */
export class Store {
  readonly accounts: AccountStore;
  readonly plans: PlanStore;
  readonly nonces: NonceStore;
  readonly meta: MetaStore;

  private constructor(readonly conn: Connection) {
    this.accounts = new AccountStore(conn.db);
    this.plans = new PlanStore(conn.db);
    this.nonces = new NonceStore(conn.db);
    this.meta = new MetaStore(conn.db);
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

  async close(): Promise<void> {
    await this.conn.close();
  }
}

export { StoreError } from './db.js';
