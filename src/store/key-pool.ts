import type { Db, Dialect } from './db.js';

export interface PooledKeyRow {
  id: number;
  key_sealed: string;
}

const KIND_PREFIX = 'key_pool_kind:';

/** The key pool table: keys made ahead of demand, sealed; a claim removes the key in the same statement. */
export class KeyPoolStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async insert(row: { id: number; algorithm: string; size: number; key_sealed: string; created_at: number }) {
    await this.db.insertInto('key_pool').values(row).execute();
  }

  /**
   * Takes one key of a kind out of the pool, or undefined when none is left. One DELETE ... RETURNING: the
   * row is read and removed together, so no two callers (requests, workers, servers) ever get the same key.
   * On PostgreSQL the candidate row is locked with SKIP LOCKED, so concurrent claims take different rows
   * instead of queueing behind one; SQLite runs one writer at a time.
   */
  async claim(algorithm: string, size: number): Promise<PooledKeyRow | undefined> {
    const row = await this.db
      .deleteFrom('key_pool')
      .where('id', '=', (eb) => {
        const pick = eb
          .selectFrom('key_pool')
          .select('id')
          .where('algorithm', '=', algorithm)
          .where('size', '=', size)
          .limit(1);
        return this.dialect === 'postgres' ? pick.forUpdate().skipLocked() : pick;
      })
      .returning(['id', 'key_sealed'])
      .executeTakeFirst();
    return row ? { id: Number(row.id), key_sealed: row.key_sealed } : undefined;
  }

  async count(algorithm: string, size: number): Promise<number> {
    const r = await this.db
      .selectFrom('key_pool')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('algorithm', '=', algorithm)
      .where('size', '=', size)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /**
   * Records that a kind is pooled (a meta row `key_pool_kind:<algorithm>-<size>`), so that every later start
   * fills it, even when none of its keys is left in the table.
   */
  async markKind(algorithm: string, size: number): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ key: `${KIND_PREFIX}${algorithm}-${size}`, value: '1' })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }

  /** The kinds ever pooled on this database: those recorded by markKind and those with keys waiting. */
  async kinds(): Promise<Array<{ algorithm: string; size: number }>> {
    const marked = await this.db
      .selectFrom('meta')
      .select('key')
      .where('key', 'like', `${KIND_PREFIX}%`)
      .execute();
    const found = new Map<string, { algorithm: string; size: number }>();
    for (const { key } of marked) {
      const m = /^([A-Za-z]+)-(\d+)$/.exec(key.slice(KIND_PREFIX.length));
      if (m) found.set(`${m[1]}-${m[2]}`, { algorithm: m[1]!, size: Number(m[2]) });
    }
    for (const r of await this.counts()) found.set(`${r.algorithm}-${r.size}`, r);
    return [...found.values()];
  }

  /** Keys waiting, by kind (for /metrics). */
  async counts(): Promise<Array<{ algorithm: string; size: number; n: number }>> {
    const rows = await this.db
      .selectFrom('key_pool')
      .select(['algorithm', 'size', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['algorithm', 'size'])
      .execute();
    return rows.map((r) => ({ algorithm: r.algorithm, size: Number(r.size), n: Number(r.n) }));
  }
}
