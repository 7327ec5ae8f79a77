import assert from 'node:assert/strict';
import http from 'node:http';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { cliJson, grantPlan } from '../helpers/cli.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { makeCsr, opensslVerify, pemBlocks, tlsHandshake } from '../helpers/pki.js';
import { PROMPT_CHECK_MS } from '../../src/domain/orders.js';
import { spawnServer } from '../helpers/process.js';
import {
  Models,
  sdk,
  startTestServer,
  tempDir,
  type CasClient,
  type Credentials,
  type TestServer,
} from '../helpers/server.js';
import { contact, counters, expectError, waitForType } from '../helpers/orders.js';

interface History {
  order: { status: string; checkAttempts: number };
  history: Array<{ kind: string; detail: string; to: string | null }>;
}

/** A web server on loopback that serves whatever file content the test sets, per Host. */
async function startFileServer() {
  const files = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0]!;
    const body = req.url === '/.well-known/pki-validation/fileauth.txt' ? files.get(host) : undefined;
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    files,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('domain validation against a real DNS server and web server on loopback', () => {
  let dns: TestDnsServer;
  let web: Awaited<ReturnType<typeof startFileServer>>;
  let server: TestServer;
  let client: CasClient;
  let rootPem: string;
  before(async () => {
    dns = await startDnsServer();
    dns.setZone('example.test');
    web = await startFileServer();
    server = await startTestServer({
      flags: {
        dnsServers: dns.address,
        httpValidationPort: String(web.port),
        validationDenyCidrs: '',
        validationTimeoutMs: '1000',
        workerIntervalMs: '50',
      },
    });
    client = sdk(server.endpoint, server.rootKey);
    rootPem = await (await fetch(`${server.url}/ca/root.pem`)).text();
  });
  after(async () => {
    await server.stop();
    await web.close();
    await dns.close();
  });

  it('DNS: waits until the TXT record appears next to an unrelated value, then issues', async () => {
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          domain: 'www.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    const state = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.equal(state.type, 'domain_verify');
    assert.equal(state.recordDomain, '_dnsauth.www');
    await new Promise((r) => setTimeout(r, 800));
    const waiting = cliJson<History>(server.dataDir, ['order', 'show', String(orderId)]);
    assert.equal(waiting.order.status, 'domain_verify');
    assert.ok(
      waiting.history.some(
        (e) =>
          e.kind === 'validation' &&
          /^DNS attempt \d+: www\.example\.test: not passed \(no TXT record at /.test(e.detail),
      ),
      'an attempt that found no record is in the history, saying what it looked for',
    );
    dns.setTxt(`${state.recordDomain}.example.test`, ['v=spf1 -all', state.recordValue!]);
    const done = await waitForType(client, orderId, 'certificate');
    const [leaf, chain] = pemBlocks(done.certificate!);
    assert.match(opensslVerify(rootPem, chain!, leaf!), /OK/);
    assert.equal(await tlsHandshake(done.certificate!, done.privateKey!, rootPem, 'www.example.test'), true);
    const shown = cliJson<History>(server.dataDir, ['order', 'show', String(orderId)]);
    assert.deepEqual(
      shown.history.filter((e) => e.to !== null).map((e) => e.to),
      ['domain_verify', 'process', 'certificate'],
    );
    assert.ok(
      shown.history.some(
        (e) =>
          e.kind === 'validation' && /^DNS attempt \d+: www\.example\.test: passed \(TXT /.test(e.detail),
      ),
    );
  });

  it('DNS: the poll right after the record appears answers with the certificate', async () => {
    const { csr } = makeCsr('prompt.example.test', 'ec');
    const orderId = (
      await client.createCertificateWithCsrRequest(
        new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'DNS', ...contact }),
      )
    ).body!.orderId!;
    const poll = async () =>
      (await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))).body!;
    const waiting = await poll();
    assert.equal(waiting.type, 'domain_verify');
    // Past the prompt re-check limit, as a client polling once a second would be; the re-checks so far (the
    // worker's first one, the first poll's) have found nothing, and the worker's own next attempt is seconds
    // away (back-off). The record appears now: only the next poll's re-check can find it before it answers.
    await new Promise((r) => setTimeout(r, PROMPT_CHECK_MS + 100));
    dns.setTxt('_dnsauth.prompt.example.test', [waiting.recordValue!]);
    const done = await poll();
    assert.equal(done.type, 'certificate', 'the poll waited for its re-check and the issuance');
    const [leaf, chain] = pemBlocks(done.certificate!);
    assert.match(opensslVerify(rootPem, chain!, leaf!), /OK/);
  });

  it('DNS: a wildcard is proven by the record of its base name, split into strings', async () => {
    grantPlan(server.dataDir, 'root', 'geotrust-dv-w-starter', '2');
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          productCode: 'geotrust-dv-w-starter',
          domain: '*.wild.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    const state = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.equal(state.recordDomain, '_dnsauth.wild');
    const v = state.recordValue!;
    dns.setTxt('_dnsauth.wild.example.test', [[v.slice(0, 20), v.slice(20)]]);
    const done = await waitForType(client, orderId, 'certificate');
    assert.equal(
      await tlsHandshake(done.certificate!, done.privateKey!, rootPem, 'x.wild.example.test'),
      true,
    );
  });

  it('DNS: one record proves every name of a package order; names in different zones are refused', async () => {
    grantPlan(server.dataDir, 'root', 'globalsign-dv-1-personal', '2');
    const apply = (domain: string) =>
      client.createCertificateForPackageRequest(
        new Models.CreateCertificateForPackageRequestRequest({
          productCode: 'globalsign-dv-1-personal',
          domain,
          validateType: 'DNS',
        }),
      );
    const before = await counters(client, 'globalsign-dv-1-personal');
    await expectError(
      apply('www.example.test,www.elsewhere.test'),
      'InvalidParameter',
      400,
      'Domain',
      /different DNS zones/,
    );
    assert.deepEqual(await counters(client, 'globalsign-dv-1-personal'), before, 'nothing taken');
    const orderId = (await apply('one.multi.example.test,two.multi.example.test')).body!.orderId!;
    const state = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.equal(state.recordDomain, '_dnsauth.multi');
    dns.setTxt(`${state.recordDomain}.example.test`, [state.recordValue!]);
    const done = await waitForType(client, orderId, 'certificate');
    for (const name of ['one.multi.example.test', 'two.multi.example.test'])
      assert.equal(await tlsHandshake(done.certificate!, done.privateKey!, rootPem, name), true);
  });

  it('FILE: fetches the token from the web server over HTTP, then issues', async () => {
    dns.setA('files.example.test', ['127.0.0.1']);
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          domain: 'files.example.test',
          validateType: 'FILE',
          ...contact,
        }),
      )
    ).body!.orderId!;
    const state = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.deepEqual(
      [state.validateType, state.domain, state.uri],
      ['FILE', 'files.example.test', '/.well-known/pki-validation/fileauth.txt'],
    );
    web.files.set('files.example.test', 'wrong content');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      (await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))).body!
        .type,
      'domain_verify',
    );
    web.files.set('files.example.test', `\ufeff${state.content}\n`);
    const done = await waitForType(client, orderId, 'certificate');
    assert.equal(
      await tlsHandshake(done.certificate!, done.privateKey!, rootPem, 'files.example.test'),
      true,
    );
  });

  it('reuses a passed validation for the same account: the next order skips domain_verify', async () => {
    const used = (await counters(client, 'digicert-free-1-free')).used!;
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          domain: 'www.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    const first = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.ok(['process', 'certificate'].includes(first.type!));
    await waitForType(client, orderId, 'certificate');
    assert.equal((await counters(client, 'digicert-free-1-free')).used, used + 1);
  });
});

describe('FILE validation refuses denied addresses', () => {
  it('never connects to loopback with the default deny list, and says why', async () => {
    const dns = await startDnsServer();
    dns.setZone('example.test');
    dns.setA('local.example.test', ['127.0.0.1']);
    const server = await startTestServer({
      flags: { dnsServers: dns.address, validationTimeoutMs: '1000', workerIntervalMs: '50' },
    });
    try {
      const c = sdk(server.endpoint, server.rootKey);
      const orderId = (
        await c.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'local.example.test',
            validateType: 'FILE',
            ...contact,
          }),
        )
      ).body!.orderId!;
      const deadline = Date.now() + 5000;
      let shown: History;
      do {
        await new Promise((r) => setTimeout(r, 200));
        shown = cliJson<History>(server.dataDir, ['order', 'show', String(orderId)]);
      } while (!shown.history.some((e) => e.kind === 'validation') && Date.now() < deadline);
      assert.equal(shown.order.status, 'domain_verify');
      assert.ok(
        shown.history.some((e) => e.kind === 'validation' && /denied range/.test(e.detail)),
        JSON.stringify(shown.history),
      );
    } finally {
      await server.stop();
      await dns.close();
    }
  });
});

describe('restarts', () => {
  it('an order waiting for validation when the server is killed completes after restart, exactly once', async () => {
    const dns = await startDnsServer();
    dns.setZone('example.test');
    const dataDir = tempDir('opencas-kill-');
    const key: Credentials = { accessKeyId: 'LTAIkilltest', accessKeySecret: 'kill-test-secret-0123456789' };
    const env = {
      OPENCAS_DATA_DIR: dataDir,
      OPENCAS_DNS_SERVERS: dns.address,
      OPENCAS_WORKER_INTERVAL_MS: '50',
      OPENCAS_VALIDATION_TIMEOUT_MS: '1000',
      OPENCAS_ROOT_ACCESS_KEY_ID: key.accessKeyId,
      OPENCAS_ROOT_ACCESS_KEY_SECRET: key.accessKeySecret,
    };
    try {
      const first = await spawnServer(env);
      let c = sdk(first.endpoint, key);
      const orderId = (
        await c.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'kill.example.test',
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      const state = (
        await c.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
      ).body!;
      await new Promise((r) => setTimeout(r, 300));
      await first.stop('SIGKILL');
      dns.setTxt('_dnsauth.kill.example.test', [state.recordValue!]);
      const second = await spawnServer(env);
      c = sdk(second.endpoint, key);
      await waitForType(c, orderId, 'certificate');
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(await counters(c, 'digicert-free-1-free'), { total: 20, used: 1, issued: 1 });
      const certs = (
        await c.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({ orderType: 'CERT' }))
      ).body!;
      assert.equal(certs.totalCount, 1);
      const shown = cliJson<History>(dataDir, ['order', 'show', String(orderId)], env);
      assert.equal(shown.history.filter((e) => e.kind === 'issued').length, 1);
      assert.equal(await second.stop(), 0);
    } finally {
      await dns.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
