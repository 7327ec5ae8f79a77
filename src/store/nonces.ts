import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Connection, Db } from './db.js';
import { HotQuery } from './prepared.js';

/** Remembers signature nonces per AccessKey (decisions.md 3), the replay check of every signed request. */
export interface NonceStore {
  /**
   * Records a nonce for an AccessKey until `expiresAt`. Resolves false when the same nonce is still
   * remembered (a replay). Resolves true only once the nonce is stored, so that a request acts only after
   * its nonce would survive a crash of the server.
   */
  remember(accessKeyId: string, nonce: string, now: number, expiresAt: number): Promise<boolean>;
  /** Forgets nonces whose time has passed; returns how many rows went. */
  purgeExpired(now: number): Promise<number>;
  /** Stores whatever is still waiting (at shutdown). */
  drain(): Promise<void>;
  /** Reads back what earlier runs remembered, where that is kept in memory (at start, before listening). */
  load(): void;
}

export function nonceStore(conn: Connection): NonceStore {
  return conn.sqlite ? new SqliteNonces(conn) : new SharedNonces(conn);
}

/**
 * PostgreSQL: servers of a cluster share the `nonces` table, and one insert-if-absent (a named statement,
 * parsed once per pooled connection) is both the check and the record, so two servers cannot both accept
 * a nonce.
 */
class SharedNonces implements NonceStore {
  /** Nothing to read back: the shared table is the check. */
  load(): void {}

  private readonly insert: HotQuery<[string, string, number, number], never>;

  constructor(private readonly conn: Connection) {
    this.insert = new HotQuery(conn, 'opencas_remember_nonce', 4, (db, accessKeyId, nonce, now, expiresAt) =>
      db
        .insertInto('nonces')
        .values({ access_key_id: accessKeyId, nonce, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .columns(['access_key_id', 'nonce'])
            .doUpdateSet({ expires_at: expiresAt })
            .where('nonces.expires_at', '<=', now),
        ),
    );
  }

  async remember(accessKeyId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    return (await this.insert.changes(accessKeyId, nonce, now, expiresAt)) > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    const r = await this.conn.db.deleteFrom('nonces').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async drain(): Promise<void> {}
}

const MINUTE = 60_000;
/** Rows deleted per statement when purging, so the event loop is never held for long. */
const PURGE_CHUNK = 5_000;

interface Batch {
  started: boolean;
  rows: [string, string, number][];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * SQLite (one server per database file): the check runs against the unexpired nonces held in memory, which
 * is exact because no other server shares the file; every accepted nonce is also appended to `nonce_log`,
 * and the log is read back at the first check after a start, so a replay is refused across restarts.
 *
 * Appends are group-committed: the nonces accepted in one turn of the event loop are written in one
 * transaction right after it (setImmediate), and each of those requests waits for that commit before it
 * goes on. So no request acts on an unrecorded nonce, and a SIGKILL leaves no replay window (the commit is
 * in the WAL, which survives a process crash; like every other write with synchronous=NORMAL, the last
 * commits may be lost to a power failure or an OS crash).
 */
class SqliteNonces implements NonceStore {
  /** Key (see key()) to the time the nonce may be used again. */
  private readonly seen = new Map<string, number>();
  /** Keys by the minute their nonce expires in, for purging without a scan. */
  private readonly byMinute = new Map<number, string[]>();
  private loaded = false;
  private batch?: Batch;
  private flushing?: Promise<void>;
  private readonly append: HotQuery<[string, string, number], never>;
  private readonly db: Db;

  constructor(private readonly conn: Connection) {
    this.db = conn.db;
    this.append = new HotQuery(conn, 'opencas_log_nonce', 3, (db, accessKeyId, nonce, expiresAt) =>
      db.insertInto('nonce_log').values({ access_key_id: accessKeyId, nonce, expires_at: expiresAt }),
    );
  }

  /**
   * 16 bytes of SHA-256 over the (unambiguously joined) AccessKeyId and nonce, as a one-byte string: a fixed,
   * small size in memory whatever the nonce's length. Two pairs colliding in 128 bits is out of reach, and
   * would only refuse a fresh nonce, never admit a replay.
   */
  private static key(accessKeyId: string, nonce: string): string {
    return createHash('sha256')
      .update(`${accessKeyId.length}:${accessKeyId}${nonce}`)
      .digest()
      .toString('latin1', 0, 16);
  }

  private note(key: string, expiresAt: number): void {
    this.seen.set(key, expiresAt);
    const minute = Math.floor(expiresAt / MINUTE);
    const list = this.byMinute.get(minute);
    if (list) list.push(key);
    else this.byMinute.set(minute, [key]);
  }

  /** Reads back what earlier runs remembered (also rows of `nonces`, where versions before 0005 kept them). */
  load(): void {
    if (this.loaded) return;
    this.loaded = true;
    const raw = this.conn.sqlite!;
    for (const table of ['nonces', 'nonce_log'] as const) {
      const q = this.db.selectFrom(table).select(['access_key_id', 'nonce', 'expires_at']).compile();
      for (const r of raw.prepare(q.sql).iterate(q.parameters) as Iterable<{
        access_key_id: string;
        nonce: string;
        expires_at: number;
      }>) {
        const key = SqliteNonces.key(r.access_key_id, r.nonce);
        const expiresAt = Number(r.expires_at);
        if ((this.seen.get(key) ?? -Infinity) < expiresAt) this.note(key, expiresAt);
      }
    }
  }

  remember(accessKeyId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    if (!this.loaded) this.load();
    const key = SqliteNonces.key(accessKeyId, nonce);
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return Promise.resolve(false);
    this.note(key, expiresAt);
    const batch = this.batch ?? this.openBatch();
    batch.rows.push([accessKeyId, nonce, expiresAt]);
    return batch.done.then(() => true);
  }

  private openBatch(): Batch {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const batch: Batch = { started: false, rows: [], done, resolve, reject };
    this.batch = batch;
    setImmediate(() => void this.flush(batch));
    return batch;
  }

  private async flush(batch: Batch): Promise<void> {
    if (batch.started) return;
    batch.started = true;
    if (this.batch === batch) this.batch = undefined;
    // Batches commit one after the other, in order.
    const before = this.flushing;
    const run = (async () => {
      await before;
      try {
        // Kysely's turn on the one connection, so no other transaction is open around ours.
        await this.db.connection().execute(async () => {
          const raw = this.conn.sqlite!;
          raw.transaction(() => {
            for (const [accessKeyId, nonce, expiresAt] of batch.rows)
              this.append.runHeld(accessKeyId, nonce, expiresAt);
          })();
        });
        batch.resolve();
      } catch (err) {
        // The nonces stay remembered in memory (refusing them again is the safe side); their requests fail.
        batch.reject(err);
      }
    })();
    this.flushing = run;
    await run;
    if (this.flushing === run) this.flushing = undefined;
  }

  async purgeExpired(now: number): Promise<number> {
    const current = Math.floor(now / MINUTE);
    for (const [minute, keys] of this.byMinute) {
      if (minute >= current) continue;
      for (const key of keys) {
        const until = this.seen.get(key);
        if (until !== undefined && until <= now) this.seen.delete(key);
      }
      this.byMinute.delete(minute);
    }
    let purged = 0;
    for (const table of ['nonce_log', 'nonces'] as const) {
      for (;;) {
        const r = await this.db
          .deleteFrom(table)
          .where(
            sql`rowid`,
            'in',
            this.db
              .selectFrom(table)
              .select(sql<number>`rowid`.as('rowid'))
              .where('expires_at', '<=', now)
              .limit(PURGE_CHUNK),
          )
          .executeTakeFirst();
        const n = Number(r.numDeletedRows);
        purged += n;
        if (n < PURGE_CHUNK) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return purged;
  }

  async drain(): Promise<void> {
    if (this.batch) await this.flush(this.batch);
    await this.flushing;
  }

  /** How many nonces are held in memory (for tests). */
  get size(): number {
    return this.seen.size;
  }
}
