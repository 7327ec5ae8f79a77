/**
 * Several servers on one PostgreSQL database (issue 4). Run by `npm run test:postgres`, i.e. only when
 * OPENCAS_TEST_DATABASE_URL names a PostgreSQL server.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { cliJson } from '../helpers/cli.js';
import { databaseUrlFor, dropDatabaseFor } from '../helpers/database.js';
import { contact, counters, sdkError, waitForType } from '../helpers/orders.js';
import { spawnServer, type ServerProcess } from '../helpers/process.js';
import { Models, sdk, startTestServer, tempDir, type Credentials } from '../helpers/server.js';

const key: Credentials = {
  accessKeyId: 'LTAIclusterroot',
  accessKeySecret: 'cluster-root-secret-0123456789',
};

describe('three servers on one PostgreSQL database', () => {
  const dirs = [tempDir('opencas-c1-'), tempDir('opencas-c2-'), tempDir('opencas-c3-')];
  let url: string;
  let servers: ServerProcess[] = [];
  const start = (dataDir: string) =>
    spawnServer({
      OPENCAS_DATA_DIR: dataDir,
      OPENCAS_DATABASE_URL: url,
      OPENCAS_MASTER_KEY: 'c'.repeat(64),
      OPENCAS_ROOT_ACCESS_KEY_ID: key.accessKeyId,
      OPENCAS_ROOT_ACCESS_KEY_SECRET: key.accessKeySecret,
      OPENCAS_VALIDATION: 'sandbox',
      OPENCAS_SANDBOX_DELAY_MS: '0',
      OPENCAS_WORKER_INTERVAL_MS: '50',
      OPENCAS_STARTER_GRANT: 'off',
    });
  before(async () => {
    url = (await databaseUrlFor(dirs[0]!))!;
    // All three start at once: migrations run once, one CA is created and shared.
    servers = await Promise.all(dirs.map(start));
  });
  after(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    await dropDatabaseFor(dirs[0]!);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('serves one CA from every server, kept sealed in the database; a later server makes no other', async () => {
    const chains = await Promise.all(servers.map(async (s) => (await fetch(`${s.url}/ca/chain.pem`)).text()));
    assert.equal(new Set(chains).size, 1);
    const pg = (await import('pg')).default;
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ value: string }>("select value from meta where key = 'embedded_ca'");
      assert.equal(rows.length, 1);
      const ca = JSON.parse(rows[0]!.value) as Record<string, string>;
      assert.ok(!rows[0]!.value.includes('PRIVATE KEY'), 'a CA key is stored in clear');
      assert.match(ca['rootKeySealed']!, /^v1:/);
      assert.match(ca['intermediateKeySealed']!, /^v1:/);
    } finally {
      await db.end();
    }
    // Started on the initialised database with a data folder of its own: it signs with the same CA.
    const later = await start(tempDir('opencas-c4-'));
    try {
      assert.equal(await (await fetch(`${later.url}/ca/chain.pem`)).text(), chains[0]);
    } finally {
      await later.stop('SIGKILL');
    }
  });

  it('gives exactly 20 orders to 60 concurrent applications against 20 units, and counters equal a recount', async () => {
    cliJson(
      dirs[0]!,
      ['plan', 'grant', '--account', 'root', '--product-code', 'geotrust-dv-1-starter', '--count', '20'],
      {
        OPENCAS_DATABASE_URL: url,
        OPENCAS_MASTER_KEY: 'c'.repeat(64),
      },
    );
    const clients = servers.map((s) => sdk(s.endpoint, key));
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        clients[i % 3]!.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            productCode: 'geotrust-dv-1-starter',
            domain: `q${i}.example.test`,
            validateType: 'DNS',
            ...contact,
          }),
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(ok, 20);
    for (const r of results)
      if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'NotRemainCount');
    const listed = (
      await clients[1]!.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ showSize: 100 }),
      )
    ).body!;
    const mine = listed.certificateOrderList!.filter((o) => o.productCode === 'geotrust-dv-1-starter');
    assert.equal(mine.length, 20);
    for (const o of mine) await waitForType(clients[2]!, o.orderId!, 'certificate', 30_000);
    assert.deepEqual(await counters(clients[0]!, 'geotrust-dv-1-starter'), {
      total: 20,
      used: 20,
      issued: 20,
    });
    const e = await sdkError(
      clients[0]!.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          productCode: 'geotrust-dv-1-starter',
          domain: 'late.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      ),
    );
    assert.equal(e.code, 'NotRemainCount');
  });

  it('issues 30 orders exactly once even when one server is killed mid-way', async () => {
    cliJson(
      dirs[0]!,
      ['plan', 'grant', '--account', 'root', '--product-code', 'globalsign-dv-1-personal', '--count', '30'],
      {
        OPENCAS_DATABASE_URL: url,
        OPENCAS_MASTER_KEY: 'c'.repeat(64),
      },
    );
    const clients = servers.map((s) => sdk(s.endpoint, key));
    const pg = (await import('pg')).default;
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    // The other two are paused while the first takes the applications, so the work leased meanwhile is the
    // first server's. It is frozen (SIGSTOP) when the database shows work leased and not yet issued; if the
    // lease is still held then, it is killed holding it, else it thaws and the watch goes on.
    servers[1]!.child.kill('SIGSTOP');
    servers[2]!.child.kill('SIGSTOP');
    const heldLeases = async () => {
      const { rows } = await db.query<{ leased: string; open: string }>(
        `select count(*) filter (where lease_owner is not null and lease_until > $1) as leased, count(*) as open
           from orders where names like 'once%' and status <> 'certificate'`,
        [Date.now()],
      );
      return { leased: rows[0]!.leased !== '0', open: rows[0]!.open !== '0' };
    };
    const ids = await Promise.all(
      Array.from(
        { length: 30 },
        async (_, i) =>
          (
            await clients[0]!.createCertificateRequest(
              new Models.CreateCertificateRequestRequest({
                productCode: 'globalsign-dv-1-personal',
                domain: `once${i}.example.test`,
                validateType: 'DNS',
                ...contact,
              }),
            )
          ).body!.orderId!,
      ),
    );
    let killed = false;
    for (let seen = await heldLeases(); seen.open; seen = await heldLeases()) {
      if (!seen.leased) continue;
      servers[0]!.child.kill('SIGSTOP');
      if ((await heldLeases()).leased) {
        await servers[0]!.stop('SIGKILL');
        killed = true;
        break;
      }
      servers[0]!.child.kill('SIGCONT');
    }
    if (!killed) await db.end();
    assert.ok(killed, 'the first server finished all the work before it could be killed holding some');
    const killedAt = Date.now();
    servers[1]!.child.kill('SIGCONT');
    servers[2]!.child.kill('SIGCONT');
    const survivors = clients.slice(1);
    // A lease held by the dead server runs out after 30 s; the others then finish its work.
    for (const id of ids) await waitForType(survivors[id % 2]!, id, 'certificate', 60_000);
    const certs = (
      await survivors[0]!.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ orderType: 'CERT', keyword: 'once', showSize: 100 }),
      )
    ).body!;
    assert.equal(certs.totalCount, 30, 'one certificate per order');
    assert.equal(new Set(certs.certificateOrderList!.map((c) => c.serialNo)).size, 30, 'unique serials');
    assert.deepEqual(await counters(survivors[0]!, 'globalsign-dv-1-personal'), {
      total: 30,
      used: 30,
      issued: 30,
    });
    // The dead server held claimed work: some order was finished only once its lease (30 s) had run out.
    try {
      const { rows } = await db.query<{ last: string }>(
        'select max(issued_at) as last from orders where id = any($1::bigint[])',
        [ids.map(String)],
      );
      assert.ok(
        Number(rows[0]!.last) >= killedAt + 20_000,
        `every order was issued within ${Number(rows[0]!.last) - killedAt} ms of the kill: no lease was taken over`,
      );
    } finally {
      await db.end();
    }
    for (const id of ids.slice(0, 5)) {
      const shown = cliJson<{ history: Array<{ kind: string }> }>(dirs[1]!, ['order', 'show', String(id)], {
        OPENCAS_DATABASE_URL: url,
        OPENCAS_MASTER_KEY: 'c'.repeat(64),
      });
      assert.equal(shown.history.filter((h) => h.kind === 'issued').length, 1);
    }
  });

  it('shares nonces: a request replayed to another server is refused', async () => {
    const { v1Params, v1Request } = await import('../helpers/raw.js');
    const params = v1Params(key, 'DescribePackageState');
    assert.equal((await v1Request(servers[1]!.endpoint, key, params)).status, 200);
    const replay = await v1Request(servers[2]!.endpoint, key, params);
    assert.equal(replay.json.Code, 'SignatureNonceUsed');
  });
});

describe('readiness follows the database', () => {
  it('/readyz is 503 while PostgreSQL is unreachable and 200 again when it returns', async () => {
    // A TCP proxy in front of PostgreSQL that the test can cut.
    const target = new URL(
      process.env['OPENCAS_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
    );
    const sockets = new Set<net.Socket>();
    let open = true;
    const proxy = net.createServer((client) => {
      if (!open) return client.destroy();
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const dataDir = tempDir('opencas-ready-');
    const real = new URL((await databaseUrlFor(dataDir))!);
    real.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const server = await startTestServer({ dataDir, flags: { databaseUrl: real.toString() } });
    try {
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      open = false;
      for (const s of sockets) s.destroy();
      assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the process itself is alive');
      open = true;
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${server.url}/readyz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200);
    } finally {
      await server.stop();
      proxy.close();
      await dropDatabaseFor(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** The Redis test needs a Redis server (.ci/run starts one): say so instead of failing on counts. */
async function assertRedisAnswers(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    assert.equal(await client.ping(), 'PONG');
  } catch (err) {
    assert.fail(`no Redis answers at ${url} (.ci/run starts one): ${(err as Error).message}`);
  } finally {
    client.disconnect();
  }
}

describe('rate limits shared by a cluster', () => {
  for (const backend of ['postgres', 'redis'] as const) {
    it(`counts one budget across three servers (${backend})`, async () => {
      if (backend === 'redis') await assertRedisAnswers('redis://127.0.0.1:6379');
      const dirs = [tempDir('opencas-t1-'), tempDir('opencas-t2-'), tempDir('opencas-t3-')];
      const url = (await databaseUrlFor(dirs[0]!))!;
      const servers = await Promise.all(
        dirs.map((d) =>
          spawnServer({
            OPENCAS_DATA_DIR: d,
            OPENCAS_DATABASE_URL: url,
            OPENCAS_MASTER_KEY: 'd'.repeat(64),
            OPENCAS_ROOT_ACCESS_KEY_ID: key.accessKeyId,
            OPENCAS_ROOT_ACCESS_KEY_SECRET: key.accessKeySecret,
            OPENCAS_RATE_LIMITS: 'DescribePackageState=5',
            ...(backend === 'redis' ? { OPENCAS_REDIS_URL: 'redis://127.0.0.1:6379' } : {}),
          }),
        ),
      );
      try {
        for (const s of servers) assert.match(s.output(), new RegExp(`"rateLimits":"${backend}"`));
        // One call per server opens its connections; the one-second budget has renewed by the burst.
        const clients = servers.map((s) => sdk(s.endpoint, key));
        for (const c of clients) await c.describePackageState(new Models.DescribePackageStateRequest({}));
        await new Promise((r) => setTimeout(r, 1500));
        const results = await Promise.allSettled(
          Array.from({ length: 15 }, (_, i) =>
            clients[i % 3]!.describePackageState(new Models.DescribePackageStateRequest({})),
          ),
        );
        const unexpected = results.filter(
          (r) => r.status === 'rejected' && (r.reason as { code: string }).code !== 'Throttling.User',
        );
        assert.deepEqual(
          unexpected.map((r) => (r as PromiseRejectedResult).reason as Error).map((e) => e.message),
          [],
        );
        const ok = results.filter((r) => r.status === 'fulfilled').length;
        const throttled = results.filter(
          (r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'Throttling.User',
        ).length;
        // Counted per server, 15 would pass; one shared budget allows 5 a second (10 across a window edge).
        assert.ok(ok >= 1 && ok <= 10, `${ok} passed`);
        assert.equal(ok + throttled, 15);
      } finally {
        for (const s of servers) await s.stop('SIGKILL');
        await dropDatabaseFor(dirs[0]!);
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    });
  }
});

describe('a database shared with other installations', () => {
  it('migrates while other schemas of the database are created and dropped', async () => {
    const { Store } = await import('../../src/store/index.js');
    const pg = (await import('pg')).default;
    const churn = new pg.Client({ connectionString: process.env['OPENCAS_TEST_DATABASE_URL'] });
    await churn.connect();
    let running = true;
    // Another installation's schemas come and go all the time, as test runs and tenants do.
    const churning = (async () => {
      for (let i = 0; running; i++) {
        const name = `opencas_churn_${process.pid}_${i}`;
        await churn.query(`create schema ${name}`);
        await churn.query(`drop schema ${name}`);
        // Often, not without pause: each migration scan may meet a drop; twenty in a row would not.
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const dirs = Array.from({ length: 8 }, () => tempDir('opencas-churn-'));
    try {
      for (const d of dirs) {
        const store = await Store.open((await databaseUrlFor(d))!);
        try {
          assert.equal((await store.accounts.listAccounts()).length, 0, 'a migrated, empty schema');
        } finally {
          await store.close();
        }
      }
    } finally {
      running = false;
      await churning;
      await churn.end();
      for (const d of dirs) {
        await dropDatabaseFor(d);
        rmSync(d, { recursive: true, force: true });
      }
    }
  });
});
