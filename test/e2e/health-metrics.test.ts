import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { contact, waitForType } from '../helpers/orders.js';
import { Models, sdk, startTestServer, type TestServer } from '../helpers/server.js';

/** Parses Prometheus text format strictly enough to catch malformed output: name{labels} value. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(
        line,
      );
    assert.ok(m, `not Prometheus text: ${line}`);
    values.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return values;
}

describe('health and metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      flags: { validation: 'sandbox', sandboxDelayMs: '0', workerIntervalMs: '50' },
    });
  });
  after(async () => {
    await server.stop();
  });

  it('answers /healthz and /readyz', async () => {
    const h = await fetch(`${server.url}/healthz`);
    assert.equal(h.status, 200);
    const r = await fetch(`${server.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready' });
  });

  it('answers /readyz 503 while the database lacks the newest migration, 200 once it is there', async () => {
    const { LATEST_MIGRATION } = await import('../../src/store/migrations/index.js');
    // Kysely's own bookkeeping table, which the store's schema type leaves out.
    const db = server.services.store.conn.db as unknown as Kysely<{
      kysely_migration: { name: string; timestamp: string };
    }>;
    const latest = db.selectFrom('kysely_migration').selectAll().where('name', '=', LATEST_MIGRATION);
    const row = await latest.executeTakeFirstOrThrow();
    // As a database restored from before that migration would be.
    await db.deleteFrom('kysely_migration').where('name', '=', LATEST_MIGRATION).execute();
    try {
      assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await db.insertInto('kysely_migration').values(row).execute();
    }
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  });

  it('exposes Prometheus metrics whose counters move with the requests made', async () => {
    const before = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    const key = 'opencas_requests_total{action="DescribePackageState",code="OK"}';
    const client = sdk(server.endpoint, server.rootKey);
    for (let i = 0; i < 3; i++) await client.describePackageState(new Models.DescribePackageStateRequest({}));
    await client
      .describePackageState(new Models.DescribePackageStateRequest({ productCode: 'bogus' }))
      .catch(() => undefined);
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          domain: 'm.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    await waitForType(client, orderId, 'certificate');
    const res = await fetch(`${server.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const after = parseMetrics(await res.text());
    assert.equal((after.get(key) ?? 0) - (before.get(key) ?? 0), 3);
    assert.equal(
      after.get('opencas_requests_total{action="DescribePackageState",code="InvalidParameter"}'),
      1,
    );
    assert.equal(after.get('opencas_validation_attempts_total{method="DNS",result="passed"}'), 1);
    assert.equal(after.get('opencas_issuance_duration_seconds_count'), 1);
    assert.equal(after.get('opencas_orders{state="certificate"}'), 1);
    assert.equal(after.get('opencas_plan_remaining{product_code="digicert-free-1-free"}'), 19);
    assert.ok((after.get('opencas_request_duration_seconds_count{action="DescribePackageState"}') ?? 0) >= 4);
    // No account ids among the labels.
    for (const name of after.keys()) assert.doesNotMatch(name, /\d{16}/);
  });
});
