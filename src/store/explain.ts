import { CompiledQuery, SqliteAdapter, type Compilable } from 'kysely';
import type { Db } from './db.js';

/**
 * The plan the database would run `query` with, one line per step: EXPLAIN QUERY PLAN on SQLite
 * ("SEARCH orders USING INDEX …", "SCAN …", "USE TEMP B-TREE FOR ORDER BY"), EXPLAIN on PostgreSQL.
 */
export async function explain(db: Db, query: Compilable): Promise<string[]> {
  const c = query.compile();
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    const r = await db.executeQuery<{ id: number; parent: number; detail: string }>(
      CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]),
    );
    const depth = new Map<number, number>([[0, 0]]);
    return r.rows.map((row) => {
      const d = (depth.get(row.parent) ?? 0) + 1;
      depth.set(row.id, d);
      return `${'  '.repeat(d - 1)}${row.detail}`;
    });
  }
  const r = await db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`explain ${c.sql}`, [...c.parameters]),
  );
  return r.rows.map((row) => row['QUERY PLAN']);
}
