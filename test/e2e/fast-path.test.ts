/**
 * The request path after issue 6's speed-ups: nonces group-committed (SQLite) or checked in the shared table
 * (PostgreSQL), AccessKey secrets unsealed once. Each speed-up must leave authentication exactly as strict.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  disableAccessKey,
  ensureRootAccount,
  putAccessKey,
  unsealedKeyCount,
} from '../../src/domain/accounts.js';
import { dropDatabaseFor } from '../helpers/database.js';
import { spawnServer, type ServerProcess } from '../helpers/process.js';
import { v1Params, v1Request, v3Request, type RawResponse } from '../helpers/raw.js';
import { ROOT_KEY, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const code = (r: RawResponse) => (r.status === 200 ? 'OK' : String(r.json.Code));

describe('nonces across a crash', () => {
  it('refuses, after a SIGKILL and a restart, every nonce the killed server had accepted', async () => {
    const dataDir = tempDir('opencas-fast-');
    const env = {
      OPENCAS_DATA_DIR: dataDir,
      OPENCAS_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
      OPENCAS_ROOT_ACCESS_KEY_SECRET: ROOT_KEY.accessKeySecret,
    };
    const running: ServerProcess[] = [];
    try {
      const first = await spawnServer(env);
      running.push(first);
      // Many at once, so that they share group commits; both schemes.
      const v1 = Array.from({ length: 40 }, () => v1Params(ROOT_KEY, 'DescribePackageState'));
      const v3 = Array.from({ length: 40 }, () => randomUUID());
      const answers = await Promise.all([
        ...v1.map((p) => v1Request(first.endpoint, ROOT_KEY, p)),
        ...v3.map((nonce) => v3Request(first.endpoint, ROOT_KEY, 'DescribePackageState', {}, { nonce })),
      ]);
      assert.deepEqual(new Set(answers.map(code)), new Set(['OK']));
      // Killed right after the last answer: nothing gets the chance to be written at shutdown.
      await first.stop('SIGKILL');

      const second = await spawnServer(env);
      running.push(second);
      const replays = await Promise.all([
        ...v1.map((p) => v1Request(second.endpoint, ROOT_KEY, p)),
        ...v3.map((nonce) => v3Request(second.endpoint, ROOT_KEY, 'DescribePackageState', {}, { nonce })),
      ]);
      assert.deepEqual(new Set(replays.map(code)), new Set(['SignatureNonceUsed']));
      assert.equal(
        code(await v1Request(second.endpoint, ROOT_KEY, v1Params(ROOT_KEY, 'DescribePackageState'))),
        'OK',
      );
      assert.equal(await second.stop('SIGTERM'), 0);
    } finally {
      for (const p of running) await p.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      await dropDatabaseFor(dataDir);
    }
  });
});

describe('the request path of one server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('lets exactly one of many concurrent requests with the same nonce through', async () => {
    const params = v1Params(ROOT_KEY, 'DescribePackageState');
    const nonce = randomUUID();
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => v1Request(server.endpoint, ROOT_KEY, params)),
      ...Array.from({ length: 20 }, () =>
        v3Request(server.endpoint, ROOT_KEY, 'DescribePackageState', {}, { nonce }),
      ),
    ]);
    assert.equal(answers.slice(0, 20).filter((r) => r.status === 200).length, 1);
    assert.equal(answers.slice(20).filter((r) => r.status === 200).length, 1);
    for (const r of answers) assert.ok(['OK', 'SignatureNonceUsed'].includes(code(r)), r.text);
  });

  it('unseals a secret once per key, follows a new secret at once, and refuses a disabled key at once', async () => {
    const s = server.services;
    const key = { accessKeyId: 'LTAIfastpath0000000001', accessKeySecret: 'first-secret-0123456789abcdef' };
    const root = await ensureRootAccount(s);
    await putAccessKey(s, root.uid, key.accessKeyId, key.accessKeySecret);
    const call = (k: typeof key) => v1Request(server.endpoint, k, v1Params(k, 'DescribePackageState'));
    assert.equal(code(await call(key)), 'OK');
    const cached = unsealedKeyCount(s);
    for (let i = 0; i < 5; i++) assert.equal(code(await call(key)), 'OK');
    assert.equal(unsealedKeyCount(s), cached, 'one cached secret per key, not per request');

    // A new secret for the same key (as OPENCAS_ROOT_ACCESS_KEY_SECRET does on restart): the old one stops.
    const rotated = { ...key, accessKeySecret: 'second-secret-0123456789abcdef' };
    await putAccessKey(s, root.uid, key.accessKeyId, rotated.accessKeySecret);
    assert.equal(code(await call(key)), 'SignatureDoesNotMatch');
    assert.equal(code(await call(rotated)), 'OK');

    await disableAccessKey(s, key.accessKeyId);
    assert.equal(code(await call(rotated)), 'InvalidAccessKeyId.Inactive');
    assert.equal(
      code(await v3Request(server.endpoint, rotated, 'DescribePackageState')),
      'InvalidAccessKeyId.Inactive',
    );
  });
});
