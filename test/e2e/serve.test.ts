import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { BIN, grantPlan } from '../helpers/cli.js';
import { spawnServer } from '../helpers/process.js';
import { Models, sdk, tempDir, type Credentials } from '../helpers/server.js';

const dirs: string[] = [];
const fresh = () => {
  const d = tempDir('opencas-serve-');
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const total = async (endpoint: string, key: Credentials, productCode: string) =>
  (await sdk(endpoint, key).describePackageState(new Models.DescribePackageStateRequest({ productCode })))
    .body!.totalCount;

describe('opencas serve as a process', () => {
  it('bootstraps root credentials on first start, keeps data across SIGKILL, and stops cleanly on SIGTERM', async () => {
    const dataDir = fresh();
    const first = await spawnServer({ OPENCAS_DATA_DIR: dataDir });
    const credFile = path.join(dataDir, 'root-credentials.json');
    assert.equal(statSync(credFile).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(dataDir, 'master.key')).mode & 0o777, 0o600);
    const cred = JSON.parse(readFileSync(credFile, 'utf8')) as Credentials & { accountUid: number };
    assert.match(first.output(), new RegExp(cred.accessKeyId));
    assert.ok(!first.output().includes(cred.accessKeySecret), 'the secret must not be logged');
    assert.equal(await total(first.endpoint, cred, 'digicert-free-1-free'), 20);
    grantPlan(dataDir, 'root', 'symantec-free-1-free', '9');
    assert.equal(await total(first.endpoint, cred, 'symantec-free-1-free'), 9);

    await first.stop('SIGKILL');
    const second = await spawnServer({ OPENCAS_DATA_DIR: dataDir });
    assert.equal(await total(second.endpoint, cred, 'symantec-free-1-free'), 9, 'plans survive a kill');
    assert.equal(
      JSON.parse(readFileSync(credFile, 'utf8')).accessKeyId,
      cred.accessKeyId,
      'no second root key',
    );
    assert.equal(await second.stop('SIGTERM'), 0);
  });

  it('takes the root key and master key from the environment, and rotates the root secret on restart', async () => {
    const dataDir = fresh();
    const env = {
      OPENCAS_DATA_DIR: dataDir,
      OPENCAS_MASTER_KEY: 'a'.repeat(64),
      OPENCAS_ROOT_ACCESS_KEY_ID: 'LTAIenvroot',
      OPENCAS_ROOT_ACCESS_KEY_SECRET: 'first-secret-0123456789',
    };
    const a = await spawnServer(env);
    const k1 = { accessKeyId: 'LTAIenvroot', accessKeySecret: 'first-secret-0123456789' };
    assert.equal(await total(a.endpoint, k1, 'digicert-free-1-free'), 20);
    assert.ok(!existsSync(path.join(dataDir, 'master.key')));
    assert.ok(!existsSync(path.join(dataDir, 'root-credentials.json')));
    assert.equal(await a.stop(), 0);

    const b = await spawnServer({ ...env, OPENCAS_ROOT_ACCESS_KEY_SECRET: 'second-secret-0123456789' });
    const k2 = { ...k1, accessKeySecret: 'second-secret-0123456789' };
    assert.equal(await total(b.endpoint, k2, 'digicert-free-1-free'), 20);
    await assert.rejects(total(b.endpoint, k1, 'digicert-free-1-free'), { code: 'SignatureDoesNotMatch' });
    await b.stop();

    // The wrong master key cannot open the sealed secrets: the server refuses to start rather than serve garbage.
    await assert.rejects(
      spawnServer({ ...env, OPENCAS_MASTER_KEY: 'b'.repeat(64) }),
      /master key does not open this database \(check OPENCAS_MASTER_KEY\)/,
    );
    // Without the key (neither the variable nor a master.key file) the server says the file is missing, and
    // leaves no new key file behind, which would only be in the way of the restored one.
    const withoutKey: Record<string, string> = { ...env };
    delete withoutKey['OPENCAS_MASTER_KEY'];
    await assert.rejects(
      spawnServer(withoutKey),
      /master\.key is missing, and this database was sealed with a master key: restore the file from a backup/,
    );
    assert.ok(!existsSync(path.join(dataDir, 'master.key')));
  });

  it('refuses a second server on the same SQLite file, and starts again after a kill', async () => {
    const dataDir = fresh();
    // SQLite itself, whatever store the suite runs on: the lock is the embedded store's.
    const env = {
      OPENCAS_DATA_DIR: dataDir,
      OPENCAS_DATABASE_URL: `sqlite:${path.join(dataDir, 'opencas.db')}`,
    };
    const first = await spawnServer(env);
    try {
      await assert.rejects(spawnServer(env), /already serves .*opencas\.db; one server per SQLite file/);
      assert.equal(await first.stop('SIGKILL'), null);
      const again = await spawnServer(env);
      assert.equal(await again.stop('SIGTERM'), 0);
      assert.equal(existsSync(path.join(dataDir, 'opencas.db.lock')), false, 'a clean stop removes the lock');
      // Ctrl-C in a terminal (SIGINT) stops it as cleanly as SIGTERM.
      const third = await spawnServer(env);
      assert.equal(await third.stop('SIGINT'), 0);
      assert.match(third.output(), /"signal":"SIGINT".*shutting down/);
      assert.equal(existsSync(path.join(dataDir, 'opencas.db.lock')), false, 'SIGINT removes the lock too');
    } finally {
      await first.stop('SIGKILL').catch(() => undefined);
    }
  });

  it('takes over the lock of a killed server that its parent has not reaped yet (a zombie)', async () => {
    const dataDir = fresh();
    const env = {
      OPENCAS_DATA_DIR: dataDir,
      OPENCAS_DATABASE_URL: `sqlite:${path.join(dataDir, 'opencas.db')}`,
    };
    // The server's parent becomes `sleep`, which never reaps it: killed, it stays a zombie.
    const parent = spawn(
      'sh',
      ['-c', `"${process.execPath}" "${BIN}" serve --port 0 >/dev/null 2>&1 & echo $!; exec sleep 120`],
      { env: { ...process.env, ...env, OPENCAS_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const pid = Number(
        await new Promise<string>((resolve) =>
          parent.stdout.once('data', (d: Buffer) => resolve(d.toString())),
        ),
      );
      const lock = path.join(dataDir, 'opencas.db.lock');
      for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(readFileSync(lock, 'utf8').trim(), String(pid));
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50; i++) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const next = await spawnServer(env);
      assert.equal(await next.stop('SIGTERM'), 0);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('refuses bad settings with a one-line message', async () => {
    await assert.rejects(
      spawnServer({ OPENCAS_DATA_DIR: fresh(), OPENCAS_PORT: 'eighty' }),
      /OPENCAS_PORT must be a whole number/,
    );
    await assert.rejects(
      spawnServer({ OPENCAS_DATA_DIR: fresh(), OPENCAS_STARTER_GRANT: 'bogus:5' }),
      /unknown product code/,
    );
  });
});
