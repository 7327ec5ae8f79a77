/**
 * The pool of service-generated keys (issue 6): keys made ahead of demand, sealed at rest, each handed out
 * once, whether to concurrent orders, CreateCsr calls or two servers on one database; refilled below half,
 * made on demand when the pool is empty, and off at size 0. Runs on SQLite and, in the PostgreSQL run, on a
 * fresh PostgreSQL schema.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dropDatabaseFor, usingPostgres } from '../helpers/database.js';
import { contact, waitForType } from '../helpers/orders.js';
import { Models, sdk, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const POOL_FLAGS = { validation: 'sandbox', sandboxDelayMs: '0', workerIntervalMs: '50' };

/** Pool rows as stored. */
async function poolRows(server: TestServer) {
  return server.services.store.conn.db.selectFrom('key_pool').selectAll().execute();
}

/** The takes counter of /metrics for RSA-2048, by result. */
async function takes(server: TestServer): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (result: string) => {
    const m = new RegExp(
      `^opencas_key_pool_takes_total\\{algorithm="RSA",size="2048",result="${result}"\\} (\\d+)$`,
      'm',
    ).exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { hit: read('hit'), miss: read('miss') };
}

/** The public key of a PEM private key, as DER hex: what two keys must never share. */
const publicOf = (pem: string) =>
  createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('hex');

function assertDistinct(pems: string[]) {
  assert.equal(new Set(pems.map(publicOf)).size, pems.length, 'a key was handed out twice');
}

/** Every 64-character base64 line of the keys, which must never appear in clear in the database files. */
function assertNotInFiles(dataDir: string, pems: string[]) {
  const files = ['opencas.db', 'opencas.db-wal'].map((f) => path.join(dataDir, f)).filter(existsSync);
  assert.ok(files.length > 0);
  const bytes = files.map((f) => readFileSync(f).toString('latin1')).join('\n');
  assert.ok(!bytes.includes('PRIVATE KEY'), 'a PEM private key is stored in clear');
  for (const pem of pems) {
    for (const line of pem.split('\n').filter((l) => l.length === 64)) {
      assert.ok(!bytes.includes(line), 'key material is stored in clear');
    }
  }
}

describe('key pool', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ flags: { ...POOL_FLAGS, keyPoolSize: '6' } });
  });
  after(async () => {
    await server.stop();
  });

  it('keeps its keys sealed, each bound to its row', async () => {
    await server.services.keys.fill('RSA', 2048);
    const rows = await poolRows(server);
    assert.equal(rows.length, 6);
    const mk = server.services.masterKey;
    for (const [i, row] of rows.entries()) {
      assert.deepEqual([row.algorithm, Number(row.size)], ['RSA', 2048]);
      assert.match(row.key_sealed, /^v1:/);
      assert.ok(!row.key_sealed.includes('PRIVATE KEY'));
      const pem = mk.openString(row.key_sealed, `key-pool:${row.id}`);
      assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
      assert.equal(createPublicKey(pem).asymmetricKeyDetails?.modulusLength, 2048);
      // Copied into another row, a sealed key does not open.
      const other = rows[(i + 1) % rows.length]!;
      assert.throws(() => mk.openString(row.key_sealed, `key-pool:${other.id}`));
    }
    if (!usingPostgres) {
      const pems = rows.map((r) => mk.openString(r.key_sealed, `key-pool:${r.id}`));
      assertNotInFiles(server.dataDir, pems);
    }
  });

  it('gives concurrent orders and CSRs a different key each, never one still in the pool', async () => {
    await server.services.keys.fill('RSA', 2048);
    const before = await takes(server);
    const client = sdk(server.endpoint, server.rootKey);
    const orders = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: `k${i}.pool.example.test`,
            validateType: 'DNS',
            ...contact,
          }),
        ),
      ),
    );
    const csrs = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        client.createCsr(
          new Models.CreateCsrRequest({
            algorithm: 'RSA',
            keySize: 2048,
            commonName: `c${i}.pool.example.test`,
            countryCode: 'CN',
            province: 'Zhejiang',
            locality: 'Hangzhou',
            corpName: 'Pool Ltd',
            department: 'Ops',
          }),
        ),
      ),
    );
    const pems: string[] = [];
    for (const o of orders) {
      const state = await waitForType(client, o.body!.orderId!, 'certificate', 60_000);
      const cert = new X509Certificate(state.certificate!);
      assert.ok(cert.checkPrivateKey(createPrivateKey(state.privateKey!)), 'the key is the certificate’s');
      pems.push(state.privateKey!);
    }
    for (const c of csrs) {
      const d = (await client.getCsrDetail(new Models.GetCsrDetailRequest({ csrId: c.body!.csrId! }))).body!;
      pems.push(d.privateKey!);
    }
    assertDistinct(pems);
    const after = await takes(server);
    assert.equal(after.hit + after.miss - before.hit - before.miss, 11, 'every key went through the pool');
    assert.ok(after.hit - before.hit >= 6, 'the keys waiting in the pool were used');
    // A handed-out key is gone from the pool, also once refills have run.
    await server.services.keys.idle();
    const mk = server.services.masterKey;
    const waiting = (await poolRows(server)).map((r) =>
      publicOf(mk.openString(r.key_sealed, `key-pool:${r.id}`)),
    );
    for (const pem of pems) assert.ok(!waiting.includes(publicOf(pem)), 'a handed-out key is still pooled');
    if (!usingPostgres) assertNotInFiles(server.dataDir, pems);
  });

  it('refills below half its size after use, and makes keys on demand when empty', async () => {
    const keys = server.services.keys;
    await keys.idle();
    await server.services.store.conn.db.deleteFrom('key_pool').execute();
    const before = await takes(server);
    // Empty: the key is made on the spot, then the pool fills in the background.
    const first = await keys.take('RSA', 2048);
    assert.match(first.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.deepEqual(await takes(server), { hit: before.hit, miss: before.miss + 1 });
    await keys.idle();
    assert.equal((await poolRows(server)).length, 6);
    // Down to half: no refill yet; below half: back to full.
    await keys.take('RSA', 2048);
    await keys.take('RSA', 2048);
    await keys.take('RSA', 2048);
    await keys.idle();
    assert.equal((await poolRows(server)).length, 3);
    await keys.take('RSA', 2048);
    await keys.idle();
    assert.equal((await poolRows(server)).length, 6);
    assert.deepEqual(await takes(server), { hit: before.hit + 4, miss: before.miss + 1 });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^opencas_key_pool_keys\{algorithm="RSA",size="2048"\} 6$/m);
  });

  it('pools only RSA: EC keys are made on the spot', async () => {
    const ec = await server.services.keys.take('EC', 256);
    assert.match(ec.privateKeyPem, /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.ok((await poolRows(server)).every((r) => r.algorithm === 'RSA'));
  });
});

describe('key pool shared by two servers on one database', () => {
  const dataDir = tempDir();
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer({ dataDir, flags: { ...POOL_FLAGS, keyPoolSize: '8' } });
    b = await startTestServer({ dataDir, flags: { ...POOL_FLAGS, keyPoolSize: '8' } });
    // Each server's start-up look at the pooled kinds is done before the test pools a kind, so neither
    // fills alongside the test's fill (two servers filling together may overshoot by a round).
    await Promise.all([a.services.keys.idle(), b.services.keys.idle()]);
  });
  after(async () => {
    await b.stop();
    await a.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabaseFor(dataDir);
  });

  it('never hands the same key to both', async () => {
    await a.services.keys.fill('RSA', 2048);
    assert.equal((await poolRows(b)).length, 8);
    const taken = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).services.keys.take('RSA', 2048)),
    );
    const pems = taken.map((k) => k.privateKeyPem);
    assertDistinct(pems);
    const [ta, tb] = [await takes(a), await takes(b)];
    assert.equal(ta.hit + ta.miss + tb.hit + tb.miss, 16);
    assert.ok(ta.hit + tb.hit >= 8, 'the eight pooled keys were handed out');
    await Promise.all([a.services.keys.idle(), b.services.keys.idle()]);
    const mk = a.services.masterKey;
    const waiting = (await poolRows(a)).map((r) => publicOf(mk.openString(r.key_sealed, `key-pool:${r.id}`)));
    for (const pem of pems) assert.ok(!waiting.includes(publicOf(pem)), 'a handed-out key is still pooled');
  });
});

describe('key pool off (size 0)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ flags: { ...POOL_FLAGS, keyPoolSize: '0' } });
  });
  after(async () => {
    await server.stop();
  });

  it('makes every key on demand and stores none ahead', async () => {
    const client = sdk(server.endpoint, server.rootKey);
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          domain: 'off.pool.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    const state = await waitForType(client, orderId, 'certificate', 60_000);
    assert.match(state.privateKey!, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    await server.services.keys.take('RSA', 2048);
    await server.services.keys.idle();
    assert.equal((await poolRows(server)).length, 0);
    assert.equal(server.services.keys.threadsNiced, undefined, 'no key thread was started');
    assert.deepEqual(await takes(server), { hit: 0, miss: 2 });
  });
});

describe('key pool at shutdown', () => {
  it('stops a refill in progress without hanging', async () => {
    const server = await startTestServer({ flags: { ...POOL_FLAGS, keyPoolSize: '500' } });
    server.services.keys.refill('RSA', 2048);
    await server.stop();
  });
});

describe('key pool at start-up', () => {
  const dataDir = tempDir('opencas-pool-start-');
  const start = () => startTestServer({ dataDir, flags: { ...POOL_FLAGS, keyPoolSize: '4' } });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabaseFor(dataDir);
  });

  it('fills the kinds it pooled before to their size, and makes none for a database that never pooled', async () => {
    const first = await start();
    try {
      await first.services.keys.idle();
      assert.equal((await poolRows(first)).length, 0, 'nothing is made before a kind is first used');
      await first.services.keys.fill('RSA', 2048);
      // One out of four: still above half, so no refill after the take.
      await first.services.keys.take('RSA', 2048);
      await first.services.keys.idle();
      assert.equal((await poolRows(first)).length, 3);
    } finally {
      await first.stop();
    }
    const second = await start();
    try {
      await second.services.keys.idle();
      assert.equal((await poolRows(second)).length, 4, 'topped up at start, without a take');
      // Even a pool left empty is filled at the next start: the kind is remembered.
      await second.services.store.conn.db.deleteFrom('key_pool').execute();
    } finally {
      await second.stop();
    }
    const third = await start();
    try {
      await third.services.keys.idle();
      assert.equal((await poolRows(third)).length, 4);
      assert.deepEqual(await takes(third), { hit: 0, miss: 0 });
    } finally {
      await third.stop();
    }
  });
});
