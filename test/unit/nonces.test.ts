import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/server.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const freshUrl = () => {
  const d = tempDir('opencas-nonces-');
  dirs.push(d);
  return `sqlite:${path.join(d, 'opencas.db')}`;
};

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('nonces on SQLite (memory check, appended log)', () => {
  it('refuses a replay, in the same run and after a reopen, until the nonce expires', async () => {
    const url = freshUrl();
    let store = await Store.open(url);
    assert.equal(await store.nonces.remember('K1', 'n1', T0, T0 + 15 * MINUTE), true);
    assert.equal(await store.nonces.remember('K1', 'n1', T0 + 1, T0 + 15 * MINUTE), false);
    // The same nonce under another key is another nonce; keys and nonces cannot be confused by joining.
    assert.equal(await store.nonces.remember('K2', 'n1', T0, T0 + 15 * MINUTE), true);
    assert.equal(await store.nonces.remember('K1n', '1', T0, T0 + 15 * MINUTE), true);
    await store.close();

    store = await Store.open(url);
    assert.equal(await store.nonces.remember('K1', 'n1', T0 + MINUTE, T0 + 16 * MINUTE), false);
    assert.equal(await store.nonces.remember('K2', 'n1', T0 + MINUTE, T0 + 16 * MINUTE), false);
    // Once expired, the nonce may be used again (and is remembered anew).
    assert.equal(await store.nonces.remember('K1', 'n1', T0 + 15 * MINUTE, T0 + 30 * MINUTE), true);
    assert.equal(await store.nonces.remember('K1', 'n1', T0 + 16 * MINUTE, T0 + 31 * MINUTE), false);
    await store.close();
  });

  it('lets exactly one of many concurrent requests with one nonce through', async () => {
    const store = await Store.open(freshUrl());
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.nonces.remember('K', 'same', T0, T0 + 15 * MINUTE)),
    );
    assert.equal(results.filter((r) => r).length, 1);
    await store.close();
  });

  it('purges expired nonces from memory and from the database, and keeps the others', async () => {
    const url = freshUrl();
    let store = await Store.open(url);
    for (let i = 0; i < 12_000; i++)
      assert.equal(await store.nonces.remember('K', `old-${i}`, T0, T0 + 15 * MINUTE), true);
    assert.equal(await store.nonces.remember('K', 'young', T0 + 10 * MINUTE, T0 + 25 * MINUTE), true);
    // A request stamped in the future is remembered until its own time plus the window.
    assert.equal(await store.nonces.remember('K', 'future', T0, T0 + 29 * MINUTE), true);
    const purged = await store.nonces.purgeExpired(T0 + 20 * MINUTE);
    assert.equal(purged, 12_000);
    assert.equal(await store.nonces.remember('K', 'old-7', T0 + 20 * MINUTE, T0 + 35 * MINUTE), true);
    assert.equal(await store.nonces.remember('K', 'young', T0 + 20 * MINUTE, T0 + 35 * MINUTE), false);
    assert.equal(await store.nonces.remember('K', 'future', T0 + 20 * MINUTE, T0 + 35 * MINUTE), false);
    await store.close();

    store = await Store.open(url);
    assert.equal(await store.nonces.remember('K', 'old-8', T0 + 20 * MINUTE, T0 + 35 * MINUTE), true);
    assert.equal(await store.nonces.remember('K', 'old-7', T0 + 20 * MINUTE, T0 + 35 * MINUTE), false);
    assert.equal(await store.nonces.remember('K', 'future', T0 + 20 * MINUTE, T0 + 35 * MINUTE), false);
    await store.close();
  });
});
