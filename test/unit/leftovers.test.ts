/**
 * A test file that fails before cleaning up must still leave nothing behind: no server process keeping it
 * alive, no temporary folder, no PostgreSQL schema (test/helpers/leftovers.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import pg from 'pg';
import { REPO } from '../helpers/cli.js';

const pgUrl = process.env['OPENCAS_TEST_DATABASE_URL'];

// PostgreSQL only when a server is named (as .ci/run does); no test is registered to be skipped.
for (const store of pgUrl ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
  it(`a failed test file leaves no server, folder or schema behind (${store})`, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENCAS_TEST_STORE: store };
    // Run as a test file of its own, not as a child of this runner.
    delete env['NODE_TEST_CONTEXT'];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', path.join(REPO, 'test/helpers/fixtures/abandoned.ts')],
      { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const m = /LEFT (\{.*\})/.exec(out);
    assert.ok(m, out);
    const left = JSON.parse(m[1]!) as { dataDir: string; pid: number; schema: string | null };
    assert.equal(code, 1, `the file fails, and ends on its own:\n${out}`);
    assert.throws(() => process.kill(left.pid, 0), 'the server process is gone');
    assert.ok(!existsSync(left.dataDir), 'the temporary folder is gone');
    if (store === 'postgres') {
      const schema = /search_path=(\S+)/.exec(left.schema ?? '')?.[1];
      assert.ok(schema);
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try {
        const r = await c.query('select 1 from pg_namespace where nspname = $1', [schema]);
        assert.equal(r.rowCount, 0, 'the schema is gone');
      } finally {
        await c.end();
      }
    }
  });
}
