import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { cli, cliJson, grantPlan } from '../helpers/cli.js';
import pg from 'pg';
import { knownDatabaseUrl, usingPostgres } from '../helpers/database.js';
import * as $dara from '@darabonba/typescript';
import * as OpenApi from '@alicloud/openapi-core';
import { isoNow, rawPost, v1Params, v1Request, v1Signature, v3Request } from '../helpers/raw.js';
import { signAcs3Headers } from '../helpers/signing.js';
import { Models, pop, sdk, startTestServer, type Credentials, type TestServer } from '../helpers/server.js';

interface State {
  TotalCount: unknown;
  UsedCount: unknown;
  IssuedCount: unknown;
  ProductCode: unknown;
}

/** DescribePackageState through all four official client paths; each must agree. */
async function stateEverywhere(endpoint: string, key: Credentials, productCode?: string): Promise<State> {
  const req = new Models.DescribePackageStateRequest(productCode ? { productCode } : {});
  const results: State[] = [];
  for (const signing of ['v3', 'v1'] as const) {
    const r = await sdk(endpoint, key, signing).describePackageState(req);
    assert.equal(r.statusCode, 200);
    assert.match(r.body!.requestId!, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    results.push({
      TotalCount: r.body!.totalCount,
      UsedCount: r.body!.usedCount,
      IssuedCount: r.body!.issuedCount,
      ProductCode: r.body!.productCode,
    });
  }
  const client = pop(endpoint, key);
  const params = productCode ? { ProductCode: productCode } : {};
  for (const method of ['GET', 'POST'] as const) {
    const r = (await client.request('DescribePackageState', params, { method })) as Record<string, unknown>;
    results.push({
      TotalCount: r.TotalCount,
      UsedCount: r.UsedCount,
      IssuedCount: r.IssuedCount,
      ProductCode: r.ProductCode,
    });
  }
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
  return results[0]!;
}

describe('DescribePackageState', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('reports the yearly starter grant for the default ProductCode through every client', async () => {
    const s = await stateEverywhere(server.endpoint, server.rootKey);
    assert.deepEqual(s, {
      TotalCount: 20,
      UsedCount: 0,
      IssuedCount: 0,
      ProductCode: 'digicert-free-1-free',
    });
  });

  it('answers zeros for a ProductCode the account holds no plan for', async () => {
    const s = await stateEverywhere(server.endpoint, server.rootKey, 'globalsign-dv-w-advanced');
    assert.deepEqual(s, {
      TotalCount: 0,
      UsedCount: 0,
      IssuedCount: 0,
      ProductCode: 'globalsign-dv-w-advanced',
    });
  });

  it('sends the counters as JSON numbers with the exact PascalCase names', async () => {
    const r = await v3Request(server.endpoint, server.rootKey, 'DescribePackageState', {
      ProductCode: 'digicert-free-1-free',
    });
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'application/json;charset=utf-8');
    assert.deepEqual(Object.keys(r.json), [
      'RequestId',
      'TotalCount',
      'UsedCount',
      'IssuedCount',
      'ProductCode',
    ]);
    assert.equal(typeof r.json.TotalCount, 'number');
    assert.equal(typeof r.json.UsedCount, 'number');
    assert.equal(typeof r.json.IssuedCount, 'number');
    assert.ok(!('Code' in r.json));
  });

  it('counts plans granted with the admin CLI while the server runs, and only active ones', async () => {
    grantPlan(server.dataDir, 'root', 'geotrust-dv-1-starter', '7');
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    const granted = cliJson<{ count: number; expires: string }>(server.dataDir, [
      'plan',
      'grant',
      '--account',
      'root',
      '--product-code',
      'geotrust-dv-1-starter',
      '--count',
      '5',
      '--expires',
      inAYear,
    ]);
    assert.deepEqual([granted.count, granted.expires], [5, inAYear]);
    const s = await stateEverywhere(server.endpoint, server.rootKey, 'geotrust-dv-1-starter');
    assert.deepEqual(s, {
      TotalCount: 12,
      UsedCount: 0,
      IssuedCount: 0,
      ProductCode: 'geotrust-dv-1-starter',
    });
    const plans = cliJson<Array<{ productCode: string; totalCount: number; active: boolean }>>(
      server.dataDir,
      ['plan', 'list', '--account', 'root'],
    );
    assert.deepEqual(
      plans
        .filter((p) => p.productCode === 'geotrust-dv-1-starter')
        .map((p) => p.totalCount)
        .sort(),
      [5, 7],
    );
  });

  it('shows a second account none of the root account plans', async () => {
    const acct = cliJson<{ uid: number; name: string }>(server.dataDir, [
      'account',
      'create',
      '--name',
      'team-b',
    ]);
    assert.ok(Number.isSafeInteger(acct.uid) && acct.uid > 0);
    const key = cliJson<Credentials>(server.dataDir, ['key', 'create', '--account', String(acct.uid)]);
    const other = await stateEverywhere(server.endpoint, key, 'geotrust-dv-1-starter');
    assert.deepEqual(other, {
      TotalCount: 0,
      UsedCount: 0,
      IssuedCount: 0,
      ProductCode: 'geotrust-dv-1-starter',
    });
    grantPlan(server.dataDir, String(acct.uid), 'geotrust-dv-1-starter', '3');
    assert.equal((await stateEverywhere(server.endpoint, key, 'geotrust-dv-1-starter')).TotalCount, 3);
    assert.equal(
      (await stateEverywhere(server.endpoint, server.rootKey, 'geotrust-dv-1-starter')).TotalCount,
      12,
    );
  });

  it('renders XML with the Action as root element when Format=XML', async () => {
    const r = await v1Request(
      server.endpoint,
      server.rootKey,
      v1Params(server.rootKey, 'DescribePackageState', {
        Format: 'XML',
        ProductCode: 'geotrust-dv-1-starter',
      }),
    );
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'text/xml;charset=utf-8');
    assert.ok(r.text.startsWith('<?xml version="1.0" encoding="UTF-8"?><DescribePackageStateResponse>'));
    const doc = new XMLParser({ parseTagValue: false }).parse(r.text) as {
      DescribePackageStateResponse: Record<string, string>;
    };
    const body = doc.DescribePackageStateResponse;
    assert.equal(body.TotalCount, '12');
    assert.equal(body.UsedCount, '0');
    assert.equal(body.ProductCode, 'geotrust-dv-1-starter');
    assert.match(body.RequestId!, /^[0-9A-F-]{36}$/);
  });

  it('accepts Format in any case and a 50 KB query string', async () => {
    const r = await v1Request(
      server.endpoint,
      server.rootKey,
      v1Params(server.rootKey, 'DescribePackageState', { Format: 'json', Padding: 'x'.repeat(50 * 1024) }),
    );
    assert.equal(r.status, 200, r.text);
    const viaPop = (await pop(server.endpoint, server.rootKey).request('DescribePackageState', {
      ProductCode: 'geotrust-dv-1-starter',
      Padding: 'é'.repeat(20 * 1024),
    })) as Record<string, unknown>;
    assert.equal(viaPop.TotalCount, 12);
  });

  it('reads parameters from chunked form bodies: the SDK generic callApi (both signings), pop-style and ACS3', async () => {
    // The Tea SDK sends formData bodies chunked, without Content-Length (protocol.md 1.2, 1.3).
    for (const signing of ['v3', 'v1'] as const) {
      const r = await sdk(server.endpoint, server.rootKey, signing).callApi(
        new OpenApi.$OpenApiUtil.Params({
          action: 'DescribePackageState',
          version: '2020-04-07',
          protocol: 'HTTP',
          pathname: '/',
          method: 'POST',
          authType: 'AK',
          style: 'RPC',
          reqBodyType: 'formData',
          bodyType: 'json',
        }),
        new OpenApi.$OpenApiUtil.OpenApiRequest({
          query: {},
          body: { ProductCode: 'geotrust-dv-1-starter' },
        }),
        new $dara.RuntimeOptions({}),
      );
      assert.equal(r.statusCode, 200);
      assert.equal((r.body as { TotalCount: number }).TotalCount, 12, signing);
      assert.equal((r.body as { ProductCode: string }).ProductCode, 'geotrust-dv-1-starter');
    }
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    // pop-core style: everything, Signature included, in a chunked body.
    const p = v1Params(server.rootKey, 'DescribePackageState', { ProductCode: 'geotrust-dv-1-starter' });
    const all = new URLSearchParams({
      ...p,
      Signature: v1Signature('POST', p, server.rootKey.accessKeySecret),
    }).toString();
    const popStyle = await rawPost(server.endpoint, form, all, true);
    assert.equal(popStyle.status, 200, popStyle.text);
    assert.equal(popStyle.json.TotalCount, 12);
    // V1: the common parameters in the query, ProductCode in a chunked body; both are signed.
    const { ProductCode, ...common } = p;
    common.SignatureNonce = randomUUID();
    const sig = v1Signature('POST', { ...common, ProductCode: ProductCode! }, server.rootKey.accessKeySecret);
    const split = await rawPost(
      server.endpoint,
      form,
      `ProductCode=${ProductCode}`,
      true,
      `/?${new URLSearchParams({ ...common, Signature: sig }).toString()}`,
    );
    assert.equal(split.status, 200, split.text);
    assert.equal(split.json.TotalCount, 12);
    // ACS3: a chunked body is hashed as the bytes received.
    const body = 'ProductCode=geotrust-dv-1-starter';
    const headers: Record<string, string> = {
      host: server.endpoint,
      'x-acs-action': 'DescribePackageState',
      'x-acs-version': '2020-04-07',
      'x-acs-date': isoNow(),
      'x-acs-signature-nonce': randomUUID(),
      'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
      'content-type': 'application/x-www-form-urlencoded',
    };
    signAcs3Headers(server.rootKey, headers, {});
    const v3 = await rawPost(server.endpoint, headers, body, true);
    assert.equal(v3.status, 200, v3.text);
    assert.deepEqual([v3.json.TotalCount, v3.json.ProductCode], [12, 'geotrust-dv-1-starter']);
  });

  it('leaves starter grants to the server: the admin CLI only reads plans', async () => {
    const off = await startTestServer({ flags: { starterGrant: 'off' } });
    try {
      const before = cliJson<unknown[]>(off.dataDir, ['plan', 'list', '--account', 'root']);
      assert.deepEqual(before, []);
      const s = await stateEverywhere(off.endpoint, off.rootKey);
      assert.deepEqual(s, {
        TotalCount: 0,
        UsedCount: 0,
        IssuedCount: 0,
        ProductCode: 'digicert-free-1-free',
      });
      assert.deepEqual(cliJson<unknown[]>(off.dataDir, ['plan', 'list', '--account', 'root']), []);
    } finally {
      await off.stop();
    }
  });

  it('gives the admin CLI no starter-grant or log-level option, and no use for the server-only OPENCAS_* settings', async () => {
    for (const args of [
      ['admin', 'account', 'list', '--starter-grant', 'off'],
      ['admin', '--starter-grant', 'geotrust-dv-1-starter:5', 'plan', 'list', '--account', 'root'],
      ['admin', 'account', 'list', '--log-level', 'debug'],
    ]) {
      const r = cli(server.dataDir, args);
      assert.equal(r.status, 1, `${args.join(' ')} should be refused`);
      assert.match(r.stderr, /^error: unknown option '--(starter-grant|log-level)'\n$/);
      assert.equal(r.stdout, '');
    }
    const help = cli(server.dataDir, ['admin', '--help']);
    assert.doesNotMatch(help.stdout, /starter|log-level/);
    // The server's setting, whatever it is, is not the CLI's business: it neither reads nor grants it.
    // Nor are the server's other settings: a value meant for the server does not fail an admin command.
    const r = cli(server.dataDir, ['admin', 'account', 'list', '--json'], {
      OPENCAS_STARTER_GRANT: 'not-a-spec',
      OPENCAS_PORT: 'x',
      OPENCAS_VALIDATION: 'bogus',
      OPENCAS_RATE_LIMITS: 'maybe',
      OPENCAS_KEY_POOL_SIZE: '-3',
      OPENCAS_REDIS_URL: 'not a url',
      OPENCAS_MAX_HEADER_SIZE: '1',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as Array<{ root: boolean }>).some((a) => a.root));
    // What it does read is still checked.
    const bad = cli(server.dataDir, ['admin', 'account', 'list'], { OPENCAS_CA_ALGORITHM: 'dsa' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^opencas: OPENCAS_CA_ALGORITHM/);
  });

  it('keeps AccessKey secrets and CA keys out of the data folder in plaintext', async () => {
    const key = cliJson<Credentials>(server.dataDir, ['key', 'create', '--account', 'root']);
    await stateEverywhere(server.endpoint, key);
    const files = readdirSync(server.dataDir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.join(d.parentPath, d.name));
    if (usingPostgres) {
      // The secrets and the CA live in the database: read every stored value back.
      const c = new pg.Client({ connectionString: knownDatabaseUrl(server.dataDir) });
      await c.connect();
      try {
        const rows = await c.query(
          `select secret_sealed as v from access_keys union all select value from meta`,
        );
        const text = rows.rows.map((r: { v: string }) => r.v).join('\n');
        assert.ok(text.includes('v1:'), 'sealed values are stored');
        for (const secret of [key.accessKeySecret, server.rootKey.accessKeySecret, 'PRIVATE KEY'])
          assert.ok(!text.includes(secret));
      } finally {
        await c.end();
      }
    } else {
      assert.ok(files.some((f) => f.endsWith('opencas.db')));
      assert.ok(files.some((f) => f.endsWith('intermediate.key.sealed')));
    }
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const secret of [key.accessKeySecret, server.rootKey.accessKeySecret, 'PRIVATE KEY']) {
        assert.equal(bytes.indexOf(secret), -1, `${f} holds a secret in plaintext`);
      }
    }
  });
});
