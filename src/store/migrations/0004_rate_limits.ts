import type { Kysely } from 'kysely';

/**
 * The table rate-limiter-flexible keeps shared throttling counters in (issue 4), created here, under the
 * migration lock, instead of by the limiter itself: several servers creating it lazily at the same moment
 * race in PostgreSQL's catalogue and one of them fails. Unused on SQLite, where counters stay in memory.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('opencas_rate_limits')
    .ifNotExists()
    .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', 'bigint')
    .execute();
}
