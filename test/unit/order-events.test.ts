/**
 * An order's history is written by the API (a cancel, a poll), the worker (validation, issuance) and
 * batches of both at once: concurrent writers must never take the same seq. On SQLite always; on PostgreSQL
 * too when OPENCAS_TEST_DATABASE_URL is set (a fresh schema, dropped afterwards).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { ensureRootAccount } from '../../src/domain/accounts.js';
import type { Services } from '../../src/domain/context.js';
import { addEvent, createOrder } from '../../src/domain/orders.js';
import { grantPlan } from '../../src/domain/plans.js';
import { DEFAULT_PRODUCT_CODE, findProduct } from '../../src/domain/products.js';
import { openServices } from '../../src/runtime.js';

const pgUrl = process.env['OPENCAS_TEST_DATABASE_URL'];
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function admin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

async function services(store: 'sqlite' | 'postgres'): Promise<Services> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'opencas-events-'));
  let databaseUrl: string | undefined;
  if (store === 'postgres') {
    const schema = `opencas_test_${randomBytes(6).toString('hex')}`;
    await admin(`create schema ${schema}`);
    const url = new URL(pgUrl!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
    cleanups.push(() => admin(`drop schema if exists ${schema} cascade`));
  }
  const s = await openServices(
    loadConfig(
      {
        dataDir,
        logLevel: 'silent',
        validation: 'sandbox',
        starterGrant: 'off',
        ...(databaseUrl ? { databaseUrl } : {}),
      },
      {},
    ),
  );
  cleanups.push(async () => {
    await s.issuer.close();
    await s.store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return s;
}

// PostgreSQL only when a server is named (as .ci/run does); no test is registered to be skipped.
for (const store of pgUrl ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
  describe(`order history on ${store}`, () => {
    it('gives concurrent writers distinct, consecutive seqs', async () => {
      const s = await services(store);
      const account = await ensureRootAccount(s);
      await grantPlan(s, account.uid, DEFAULT_PRODUCT_CODE, 10, null);
      const orderId = await createOrder(s, account.uid, 'test', {
        product: findProduct(DEFAULT_PRODUCT_CODE)!,
        names: ['events.example.test'],
        validateType: 'DNS',
        contact: {},
        tags: [],
      });
      const order = { id: orderId, account_uid: account.uid };
      const at = s.clock.now();
      const batch = (k: number) =>
        s.store.transaction((tx) =>
          tx.orders.addEvents(
            [0, 1, 2].map((i) => ({
              order_id: orderId,
              account_uid: account.uid,
              at,
              kind: 'test',
              from_status: null,
              to_status: null,
              actor: 'batch',
              detail: `batch ${k} event ${i}`,
            })),
          ),
        );
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => addEvent(s, order, 'test', 'api', `single ${i}`)),
        batch(1),
        batch(2),
      ]);
      const events = await s.store.orders.events(orderId);
      // The 'created' event, 20 single ones and two batches of three.
      assert.equal(events.length, 1 + 20 + 6);
      assert.deepEqual(
        events.map((e) => Number(e.seq)),
        Array.from({ length: events.length }, (_, i) => i + 1),
      );
      for (const k of [1, 2]) {
        const mine = events.filter((e) => e.detail.startsWith(`batch ${k} `)).map((e) => Number(e.seq));
        assert.deepEqual(mine, [mine[0]!, mine[0]! + 1, mine[0]! + 2], 'a batch keeps its order');
      }
    });
  });
}
