import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ManualClock } from '../../src/clock.js';
import { cli, cliJson } from '../helpers/cli.js';
import { sdkError, type SdkError } from '../helpers/orders.js';
import { isoNow, rawPost, v1Params, v1Request, v3Request, type RawResponse } from '../helpers/raw.js';
import { Models, pop, sdk, startTestServer, type Credentials, type TestServer } from '../helpers/server.js';

/** An Alibaba error body: the five fields, the code and status, and a message naming `mentions`. */
function assertError(r: RawResponse, status: number, code: string, mentions?: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.contentType, 'application/json;charset=utf-8');
  assert.deepEqual(Object.keys(r.json).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
  assert.equal(r.json.Code, code);
  assert.match(String(r.json.RequestId), /^[0-9A-F-]{36}$/);
  if (mentions)
    assert.ok(
      String(r.json.Message).includes(mentions),
      `"${String(r.json.Message)}" should name ${mentions}`,
    );
}

const describeState = (productCode = 'digicert-free-1-free') =>
  new Models.DescribePackageStateRequest({ productCode });

describe('errors of the RPC front end', () => {
  let server: TestServer;
  let ep: string;
  let root: Credentials;
  before(async () => {
    server = await startTestServer();
    ep = server.endpoint;
    root = server.rootKey;
  });
  after(async () => {
    await server.stop();
  });

  it('InvalidParameter (400, ClientError) names the parameter, through both SDK signings and pop-core', async () => {
    for (const signing of ['v3', 'v1'] as const) {
      const e = await sdkError(sdk(ep, root, signing).describePackageState(describeState('no-such-code')));
      assert.equal(e.name, 'ClientError');
      assert.equal(e.code, 'InvalidParameter');
      assert.equal(e.statusCode, 400);
      assert.match(e.message, /ProductCode/);
      assert.deepEqual(
        Object.keys(e.data)
          .filter((k) => k !== 'statusCode')
          .sort(),
        ['Code', 'HostId', 'Message', 'Recommend', 'RequestId'],
      );
    }
    const e = await sdkError(
      pop(ep, root).request('DescribePackageState', { ProductCode: 'x'.repeat(5000) }),
    );
    assert.equal(e.name, 'InvalidParameterError');
    assert.equal(e.code, 'InvalidParameter');
  });

  it('MissingParameter (400) for each absent common parameter of V1', async () => {
    for (const name of [
      'AccessKeyId',
      'SignatureMethod',
      'SignatureNonce',
      'Timestamp',
      'Action',
      'Version',
    ]) {
      const r = await v1Request(ep, root, v1Params(root, 'DescribePackageState', {}, { [name]: undefined }));
      assertError(r, 400, 'MissingParameter', name);
    }
  });

  it('SignatureDoesNotMatch (400) for a wrong secret under every scheme', async () => {
    const wrong = { accessKeyId: root.accessKeyId, accessKeySecret: 'not-the-secret-at-all' };
    for (const signing of ['v3', 'v1'] as const) {
      const e = await sdkError(sdk(ep, wrong, signing).describePackageState(describeState()));
      assert.deepEqual([e.name, e.code, e.statusCode], ['ClientError', 'SignatureDoesNotMatch', 400]);
    }
    const e = await sdkError(pop(ep, wrong).request('DescribePackageState', {}));
    assert.equal(e.code, 'SignatureDoesNotMatch');
    // A parameter changed after signing.
    const params = v1Params(root, 'DescribePackageState', { ProductCode: 'digicert-free-1-free' });
    const { v1Signature } = await import('../helpers/raw.js');
    const sig = v1Signature('GET', params, root.accessKeySecret);
    assertError(
      await v1Request(ep, root, { ...params, ProductCode: 'symantec-free-1-free' }, { signature: sig }),
      400,
      'SignatureDoesNotMatch',
    );
    // The same signature sent with another method.
    assertError(
      await v1Request(ep, root, params, { method: 'POST', signature: sig }),
      400,
      'SignatureDoesNotMatch',
    );
    // ACS3: a signed header altered, and a body that does not match x-acs-content-sha256.
    assertError(
      await v3Request(
        ep,
        root,
        'DescribePackageState',
        {},
        { mutate: (h) => (h['x-acs-action'] = 'DescribePackageStatE') },
      ),
      400,
      'SignatureDoesNotMatch',
    );
    assertError(
      await v3Request(
        ep,
        root,
        'DescribePackageState',
        {},
        {
          body: 'ProductCode=digicert-free-1-free',
          contentType: 'application/x-www-form-urlencoded',
          mutate: (h) =>
            (h['x-acs-content-sha256'] = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
        },
      ),
      400,
      'SignatureDoesNotMatch',
    );
  });

  it('IncompleteSignature (400) for a malformed or unsupported Authorization header', async () => {
    const cases: Array<(h: Record<string, string>) => void> = [
      (h) => (h['authorization'] = `ACS3-HMAC-SHA256 Credential=${root.accessKeyId}`),
      (h) => (h['authorization'] = h['authorization']!.replace('SignedHeaders=host;', 'SignedHeaders=')),
      (h) =>
        (h['authorization'] =
          'ACS4-HMAC-SHA256 Credential=x/20240101/center/cas/aliyun_v4_request,SignedHeaders=host,Signature=00'),
      (h) => (h['authorization'] = 'Bearer abc'),
    ];
    for (const mutate of cases)
      assertError(
        await v3Request(ep, root, 'DescribePackageState', {}, { mutate }),
        400,
        'IncompleteSignature',
      );
  });

  it('InvalidAccessKeyId.NotFound (404) for an unknown key', async () => {
    const unknown = { accessKeyId: 'LTAInosuchkey000000000', accessKeySecret: 'whatever-secret-value' };
    for (const signing of ['v3', 'v1'] as const) {
      const e = await sdkError(sdk(ep, unknown, signing).describePackageState(describeState()));
      assert.deepEqual([e.name, e.code, e.statusCode], ['ClientError', 'InvalidAccessKeyId.NotFound', 404]);
    }
  });

  it('InvalidAccessKeyId.Inactive (400) once a key is disabled with the CLI', async () => {
    const key = cliJson<Credentials>(server.dataDir, ['key', 'create', '--account', 'root']);
    assert.equal((await sdk(ep, key).describePackageState(describeState())).statusCode, 200);
    const disabled = cliJson<{ status: string }>(server.dataDir, ['key', 'disable', key.accessKeyId]);
    assert.equal(disabled.status, 'Inactive');
    for (const signing of ['v3', 'v1'] as const) {
      const e = await sdkError(sdk(ep, key, signing).describePackageState(describeState()));
      assert.deepEqual([e.name, e.code, e.statusCode], ['ClientError', 'InvalidAccessKeyId.Inactive', 400]);
    }
    const listed = cliJson<Array<{ accessKeyId: string; status: string }>>(server.dataDir, [
      'key',
      'list',
      '--account',
      'root',
    ]);
    assert.equal(listed.find((k) => k.accessKeyId === key.accessKeyId)?.status, 'Inactive');
  });

  it('SignatureNonceUsed (400) for a replayed nonce under both schemes; a rejected signature burns no nonce', async () => {
    const params = v1Params(root, 'DescribePackageState');
    assert.equal((await v1Request(ep, root, params)).status, 200);
    assertError(await v1Request(ep, root, params), 400, 'SignatureNonceUsed');
    const nonce = `nonce-${Date.now()}`;
    assert.equal((await v3Request(ep, root, 'DescribePackageState', {}, { nonce })).status, 200);
    assertError(await v3Request(ep, root, 'DescribePackageState', {}, { nonce }), 400, 'SignatureNonceUsed');
    // The same nonce under another key is a different nonce.
    const other = cliJson<Credentials>(server.dataDir, ['key', 'create', '--account', 'root']);
    assert.equal((await v3Request(ep, other, 'DescribePackageState', {}, { nonce })).status, 200);
    // A badly signed request does not record its nonce.
    const fresh = v1Params(root, 'DescribePackageState');
    assertError(
      await v1Request(ep, root, fresh, { signWith: 'wrong-secret-value' }),
      400,
      'SignatureDoesNotMatch',
    );
    assert.equal((await v1Request(ep, root, fresh)).status, 200);
  });

  it('a NUL in AccessKeyId is an unknown key, in the nonce InvalidParameter naming it; an over-long V3 nonce names its header', async () => {
    // PostgreSQL cannot hold a NUL in text: these were 500s there before they were checked.
    for (const id of ['\0', `${root.accessKeyId}\0`]) {
      const r = await v1Request(ep, root, v1Params(root, 'DescribePackageState', {}, { AccessKeyId: id }));
      assertError(r, 404, 'InvalidAccessKeyId.NotFound');
    }
    const nul = v1Params(root, 'DescribePackageState', {}, { SignatureNonce: 'abc\0def' });
    assertError(await v1Request(ep, root, nul), 400, 'InvalidParameter', 'SignatureNonce');
    assertError(
      await v3Request(ep, root, 'DescribePackageState', {}, { nonce: 'n'.repeat(300) }),
      400,
      'InvalidParameter',
      '"x-acs-signature-nonce"',
    );
    // Nothing was remembered or spent: a good request with a fresh nonce still passes.
    assert.equal((await v1Request(ep, root, v1Params(root, 'DescribePackageState'))).status, 200);
  });

  it('InvalidTimeStamp.Expired (400) outside 15 minutes either way; InvalidTimeStamp.Format (400) for bad dates', async () => {
    for (const offset of [-16 * 60_000, 16 * 60_000]) {
      assertError(
        await v1Request(ep, root, v1Params(root, 'DescribePackageState', {}, { Timestamp: isoNow(offset) })),
        400,
        'InvalidTimeStamp.Expired',
      );
      assertError(
        await v3Request(ep, root, 'DescribePackageState', {}, { date: isoNow(offset) }),
        400,
        'InvalidTimeStamp.Expired',
      );
    }
    assert.equal(
      (
        await v1Request(
          ep,
          root,
          v1Params(root, 'DescribePackageState', {}, { Timestamp: isoNow(-14 * 60_000) }),
        )
      ).status,
      200,
    );
    for (const ts of [
      '2024-13-01T00:00:00Z',
      '2024-01-01 00:00:00',
      '1700000000',
      '2024-01-01T00:00:00+08:00',
    ]) {
      assertError(
        await v1Request(ep, root, v1Params(root, 'DescribePackageState', {}, { Timestamp: ts })),
        400,
        'InvalidTimeStamp.Format',
        'Timestamp',
      );
    }
    assertError(
      await v3Request(ep, root, 'DescribePackageState', {}, { date: 'yesterday' }),
      400,
      'InvalidTimeStamp.Format',
      'x-acs-date',
    );
  });

  it('InvalidVersion (400) and InvalidAction.NotFound (404)', async () => {
    assertError(
      await v1Request(ep, root, v1Params(root, 'DescribePackageState', {}, { Version: '2018-08-13' })),
      400,
      'InvalidVersion',
    );
    assertError(
      await v3Request(ep, root, 'DescribePackageState', {}, { version: '2019-01-01' }),
      400,
      'InvalidVersion',
    );
    const e = await sdkError(pop(ep, root).request('NoSuchAction', {}));
    assert.equal(e.code, 'InvalidAction.NotFound');
    assertError(await v3Request(ep, root, 'NoSuchAction'), 404, 'InvalidAction.NotFound', 'NoSuchAction');
    const wrongPath = await fetch(`http://${ep}/some/path`);
    assert.equal(wrongPath.status, 404);
    assert.equal(((await wrongPath.json()) as { Code: string }).Code, 'InvalidAction.NotFound');
    const wrongMethod = await fetch(`http://${ep}/`, { method: 'PUT' });
    assert.equal(wrongMethod.status, 404);
  });

  it('InvalidParameter (400) for a malformed request: bad escapes, duplicates, bad Format, bad UTF-8 body', async () => {
    const good = v1Params(root, 'DescribePackageState');
    const { v1Signature } = await import('../helpers/raw.js');
    const sig = encodeURIComponent(v1Signature('GET', good, root.accessKeySecret));
    const qs = new URLSearchParams(good).toString();
    const badEscape = await fetch(`http://${ep}/?${qs}&Signature=${sig}&ProductCode=%ZZ`);
    assert.equal(badEscape.status, 400);
    assert.match(((await badEscape.json()) as { Message: string }).Message, /ProductCode/);
    const dup = await fetch(`http://${ep}/?${qs}&Signature=${sig}&Action=DescribePackageState`);
    assert.equal(dup.status, 400);
    assert.match(((await dup.json()) as { Message: string }).Message, /Action/);
    assertError(
      await v1Request(ep, root, v1Params(root, 'DescribePackageState', { Format: 'YAML' })),
      400,
      'InvalidParameter',
      'Format',
    );
    const badBody = await fetch(`http://${ep}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from([0x41, 0x3d, 0xff, 0xfe]),
    });
    assert.equal(badBody.status, 400);
    assert.equal(((await badBody.json()) as { Code: string }).Code, 'InvalidParameter');
  });

  it('InvalidParameter (400) for a form body over OPENCAS_BODY_LIMIT, chunked or not', async () => {
    const big = 'ProductCode=' + 'x'.repeat(server.config.bodyLimit + 1);
    for (const chunked of [false, true]) {
      const r = await rawPost(ep, { 'content-type': 'application/x-www-form-urlencoded' }, big, chunked);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.contentType, 'application/json;charset=utf-8');
      assert.equal(r.json.Code, 'InvalidParameter');
      assert.match(String(r.json.Message), /"\(request body\)".*larger than/);
      assert.match(String(r.json.RequestId), /^[0-9A-F-]{36}$/);
    }
  });

  it('answers XML errors as <Error> with text/xml;charset=utf-8 when Format=XML', async () => {
    const r = await v1Request(
      ep,
      root,
      v1Params(root, 'DescribePackageState', { Format: 'xml', ProductCode: 'bogus' }),
    );
    assert.equal(r.status, 400);
    assert.equal(r.contentType, 'text/xml;charset=utf-8');
    const doc = new XMLParser().parse(r.text) as { Error: Record<string, string> };
    assert.equal(doc.Error.Code, 'InvalidParameter');
    assert.match(doc.Error.Message!, /ProductCode/);
    assert.ok(doc.Error.RequestId && doc.Error.HostId && doc.Error.Recommend);
  });

  it('answers an over-long request line with InvalidParameter (400) and a RequestId, not a bare 431', async () => {
    const r = await fetch(`http://${ep}/?Padding=${'x'.repeat(300 * 1024)}`);
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('content-type'), 'application/json;charset=utf-8');
    const body = (await r.json()) as Record<string, string>;
    assert.equal(body.Code, 'InvalidParameter');
    assert.match(body.Message!, /exceed 262144 bytes/);
    assert.equal(r.headers.get('x-acs-request-id'), body.RequestId);
    // The server is unharmed.
    assert.equal((await sdk(ep, root).describePackageState(describeState())).statusCode, 200);
  });

  it('keeps Alibaba error bodies for malformed URLs and HEAD, and well-formed XML whatever is echoed', async () => {
    const badUrl = await fetch(`http://${ep}/%zz`);
    assert.equal(badUrl.status, 400);
    assert.equal(((await badUrl.json()) as { Code: string }).Code, 'InvalidParameter');
    const head = await fetch(`http://${ep}/?Action=DescribePackageState`, { method: 'HEAD' });
    assert.equal(head.status, 404);
    const r = await v1Request(
      ep,
      root,
      v1Params(root, 'DescribePackageState', { Format: 'XML', ProductCode: 'a\u0001b\u001f' }),
    );
    assert.equal(r.status, 400);
    assert.equal(XMLValidator.validate(r.text), true);
    assert.match(r.text, /a\uFFFDb\uFFFD/);
  });

  it('rejects an empty ACS3 nonce, and too many parameters', async () => {
    assertError(
      await v3Request(ep, root, 'DescribePackageState', {}, { nonce: '' }),
      400,
      'MissingParameter',
      'x-acs-signature-nonce',
    );
    const many: Record<string, string> = {};
    for (let i = 0; i < 600; i++) many[`P${i}`] = 'x';
    assertError(
      await v1Request(ep, root, v1Params(root, 'DescribePackageState', many)),
      400,
      'InvalidParameter',
      'more than 500 parameters',
    );
  });

  it('refuses STS security tokens, which this service does not issue', async () => {
    const r = await v1Request(ep, root, v1Params(root, 'DescribePackageState', { SecurityToken: 'abc' }));
    assertError(r, 400, 'InvalidSecurityToken.Malformed');
  });
});

describe('throttling', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ flags: { rateLimits: 'DescribePackageState=3' } });
  });
  after(async () => {
    await server.stop();
  });

  it('answers Throttling.User (400), raised by the SDK as ThrottlingError, per account and action', async () => {
    const client = sdk(server.endpoint, server.rootKey);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => client.describePackageState(describeState())),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const rejected = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as SdkError);
    assert.ok(ok >= 1 && ok <= 3 * 2, `${ok} calls passed`); // at most two one-second windows
    assert.ok(rejected.length >= 2);
    for (const e of rejected)
      assert.deepEqual([e.name, e.code, e.statusCode], ['ThrottlingError', 'Throttling.User', 400]);
    // Another action of the same account has its own budget.
    const list = await client.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({}));
    assert.equal(list.statusCode, 200);
    // Another account has its own budget.
    const acct = cliJson<{ uid: number }>(server.dataDir, ['account', 'create', '--name', 'other']);
    const key = cliJson<Credentials>(server.dataDir, ['key', 'create', '--account', String(acct.uid)]);
    assert.equal((await sdk(server.endpoint, key).describePackageState(describeState())).statusCode, 200);
  });
});

describe('time-dependent behaviour (server clock moved)', () => {
  let server: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(async () => {
    await server.stop();
  });

  it('remembers a nonce as long as its timestamp is acceptable, even one stamped in the future', async () => {
    clock.set(Date.now());
    const params = v1Params(
      server.rootKey,
      'DescribePackageState',
      {},
      { Timestamp: new Date(clock.now() + 10 * 60_000).toISOString() },
    );
    assert.equal((await v1Request(server.endpoint, server.rootKey, params)).status, 200);
    clock.advance(15 * 60_000 + 1000);
    const replay = await v1Request(server.endpoint, server.rootKey, params);
    assert.equal(replay.status, 400);
    assert.equal(replay.json.Code, 'SignatureNonceUsed');
  });

  it('stops counting a plan after its last day, and rejects a client whose clock is 20 minutes off', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    cliJson(server.dataDir, [
      'plan',
      'grant',
      '--account',
      'root',
      '--product-code',
      'globalsign-dv-1-personal',
      '--count',
      '4',
      '--expires',
      tomorrow,
    ]);
    clock.set(Date.now()); // the CLI granted on the real clock: catch up with it
    const req = describeState('globalsign-dv-1-personal');
    assert.equal((await sdk(server.endpoint, server.rootKey).describePackageState(req)).body!.totalCount, 4);
    clock.advance(20 * 60_000);
    const e = await sdkError(sdk(server.endpoint, server.rootKey).describePackageState(req));
    assert.deepEqual([e.code, e.statusCode], ['InvalidTimeStamp.Expired', 400]);
    // Two days on, signed with the server's time: the plan no longer counts.
    clock.advance(2 * 86_400_000);
    const r = await v1Request(
      server.endpoint,
      server.rootKey,
      v1Params(
        server.rootKey,
        'DescribePackageState',
        { ProductCode: 'globalsign-dv-1-personal' },
        { Timestamp: new Date(clock.now()).toISOString() },
      ),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.TotalCount, 0);
    const plans = cliJson<Array<{ productCode: string; active: boolean }>>(server.dataDir, [
      'plan',
      'list',
      '--account',
      'root',
    ]);
    // The CLI runs on the real clock, where the plan is still active; the history is kept either way.
    assert.ok(plans.some((p) => p.productCode === 'globalsign-dv-1-personal'));
  });
});

describe('unexpected failures', () => {
  it('become InternalError (500, ServerError) without leaking details', async () => {
    const server = await startTestServer();
    try {
      await server.services.store.close(); // the database goes away under a running server
      const e = await sdkError(sdk(server.endpoint, server.rootKey).describePackageState(describeState()));
      assert.deepEqual([e.name, e.code, e.statusCode], ['ServerError', 'InternalError', 500]);
      assert.doesNotMatch(JSON.stringify(e.data), /at .*\.ts|sqlite|SELECT/i);
    } finally {
      // Everything else still stops, and the data folder (and schema) go, with the store already closed.
      await server.stop();
    }
  });
});

describe('admin CLI errors', () => {
  it('prints one line and exits non-zero, never a stack trace', async () => {
    const server = await startTestServer();
    try {
      const cases: string[][] = [
        ['admin', 'plan', 'grant', '--account', 'root', '--product-code', 'nope', '--count', '1'],
        [
          'admin',
          'plan',
          'grant',
          '--account',
          'root',
          '--product-code',
          'digicert-free-1-free',
          '--count',
          '-3',
        ],
        [
          'admin',
          'plan',
          'grant',
          '--account',
          'root',
          '--product-code',
          'digicert-free-1-free',
          '--count',
          '2',
          '--expires',
          '2001-01-01',
        ],
        [
          'admin',
          'plan',
          'grant',
          '--account',
          'root',
          '--product-code',
          'digicert-free-1-free',
          '--count',
          '2',
          '--expires',
          '2030-02-30',
        ],
        ['admin', 'plan', 'list', '--account', '12345'],
        ['admin', 'plan', 'list', '--account', 'bob'],
        ['admin', 'key', 'disable', 'LTAInotthere'],
        ['admin', 'account', 'create', '--name', 'root'],
        ['admin', 'account', 'create', '--name', 'bad name!'],
        ['admin', 'account', 'create'],
        ['admin', 'frobnicate'],
      ];
      for (const args of cases) {
        const r = cli(server.dataDir, args);
        assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
        assert.doesNotMatch(r.stderr, /^\s+at /m, `${args.join(' ')} printed a stack trace: ${r.stderr}`);
        assert.ok(r.stderr.trim().length > 0, `${args.join(' ')} printed no error`);
      }
      const bad = cli(server.dataDir, [
        'admin',
        'plan',
        'grant',
        '--account',
        'root',
        '--product-code',
        'nope',
        '--count',
        '1',
      ]);
      assert.equal(bad.stderr.trim().split('\n').length, 1);
      assert.match(bad.stderr, /unknown product code "nope"/);
      // A malformed master key is a setting to fix, not an unexpected error.
      const badKey = cli(server.dataDir, ['admin', 'account', 'list', '--master-key', 'abc']);
      assert.notEqual(badKey.status, 0);
      assert.equal(
        badKey.stderr,
        'opencas: OPENCAS_MASTER_KEY must be 32 bytes written as 64 hex digits or base64\n',
      );
      // So is a key file that holds no key: named, left as it is (never replaced), and no stack trace.
      const damaged = mkdtempSync(path.join(tmpdir(), 'opencas-badkey-'));
      try {
        writeFileSync(path.join(damaged, 'master.key'), 'not a key\n');
        const r = cli(damaged, ['admin', 'account', 'list']);
        assert.notEqual(r.status, 0);
        assert.equal(
          r.stderr,
          `opencas: ${path.join(damaged, 'master.key')}: the master key cannot be loaded (it holds no key): ` +
            'it must hold the 32-byte key (64 hex digits or base64) this data was sealed with; restore it from a backup\n',
        );
        assert.equal(readFileSync(path.join(damaged, 'master.key'), 'utf8'), 'not a key\n');
      } finally {
        rmSync(damaged, { recursive: true, force: true });
      }
      // Run where no server has kept its data, a command says it started a database of its own (on stderr,
      // so --json output still parses); once the database is there, nothing more is said.
      const fresh = mkdtempSync(path.join(tmpdir(), 'opencas-fresh-'));
      try {
        const first = cli(fresh, ['admin', 'account', 'list', '--json']);
        assert.equal(first.status, 0);
        assert.equal((JSON.parse(first.stdout) as unknown[]).length, 1);
        assert.equal(
          first.stderr,
          `opencas: note: no database was at ${path.join(fresh, 'opencas.db')}, a new one was created; ` +
            "to work on a running server's data, run this from its folder or pass its --data-dir\n",
        );
        const second = cli(fresh, ['admin', 'account', 'list', '--json']);
        assert.equal(second.status, 0);
        assert.equal(second.stderr, '');
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    } finally {
      await server.stop();
    }
  });
});
