import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { x509 } from '../../src/pki/x509.js';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { cli, cliJson, grantPlan } from '../helpers/cli.js';
import { contact, counters, sdkError, waitForType, type SdkError } from '../helpers/orders.js';
import { makeCsr, openssl, opensslVerify, pemBlocks, tlsHandshake } from '../helpers/pki.js';
import {
  Models,
  pop,
  sdk,
  startTestServer,
  type CasClient,
  type Credentials,
  type TestServer,
} from '../helpers/server.js';

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  assert.equal(r.status, 200);
  return r.text();
}

describe('certificate lifecycle (sandbox validation)', () => {
  let server: TestServer;
  let client: CasClient;
  let rootPem: string;
  let chainPem: string;
  before(async () => {
    server = await startTestServer({
      flags: { validation: 'sandbox', sandboxDelayMs: '300', workerIntervalMs: '50', willExpireMs: '365' },
    });
    client = sdk(server.endpoint, server.rootKey);
    rootPem = await fetchText(`${server.url}/ca/root.pem`);
    chainPem = await fetchText(`${server.url}/ca/chain.pem`);
    grantPlan(server.dataDir, 'root', 'geotrust-dv-w-starter', '5');
    grantPlan(server.dataDir, 'root', 'globalsign-dv-1-personal', '3');
  });
  after(async () => {
    await server.stop();
  });

  it('applies with a service-generated key, validates, issues a certificate that openssl and TLS trust', async () => {
    const before = await counters(client, 'digicert-free-1-free');
    const created = await client.createCertificateRequest(
      new Models.CreateCertificateRequestRequest({
        domain: 'WWW.Example.Test.',
        validateType: 'DNS',
        ...contact,
      }),
    );
    const orderId = created.body!.orderId!;
    assert.ok(Number.isSafeInteger(orderId) && orderId > 0);
    assert.deepEqual(await counters(client, 'digicert-free-1-free'), { ...before, used: before.used! + 1 });

    const pending = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.equal(pending.type, 'domain_verify');
    assert.equal(pending.validateType, 'DNS');
    assert.equal(pending.recordType, 'TXT');
    assert.equal(pending.recordDomain, '_dnsauth.www');
    assert.match(pending.recordValue!, /^\d{14}[a-z0-9]{50}$/);

    const done = await waitForType(client, orderId, 'certificate');
    const blocks = pemBlocks(done.certificate!);
    assert.equal(blocks.length, 2, 'leaf followed by the intermediate');
    assert.equal(blocks[1]!.trim(), chainPem.trim());
    assert.match(done.privateKey!, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.ok(!done.certificate!.includes('\r'));
    assert.match(opensslVerify(rootPem, chainPem, blocks[0]!), /OK/);
    assert.equal(await tlsHandshake(done.certificate!, done.privateKey!, rootPem, 'www.example.test'), true);
    assert.deepEqual(await counters(client, 'digicert-free-1-free'), {
      ...before,
      used: before.used! + 1,
      issued: before.issued! + 1,
    });
  });

  it('applies with a client CSR (P-256): no PrivateKey comes back, and the certificate matches the CSR key', async () => {
    const { csr, key } = makeCsr('api.example.test', 'ec');
    for (const signing of ['v3', 'v1'] as const) {
      const c = sdk(server.endpoint, server.rootKey, signing);
      const orderId = (
        await c.createCertificateWithCsrRequest(
          new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'FILE', ...contact }),
        )
      ).body!.orderId!;
      const pending = await waitForType(c, orderId, 'domain_verify', 2000).catch(() => undefined);
      if (pending) {
        assert.equal(pending.validateType, 'FILE');
        assert.equal(pending.domain, 'api.example.test');
        assert.equal(pending.uri, '/.well-known/pki-validation/fileauth.txt');
        assert.match(pending.content!, /^\d{14}[a-z0-9]{50}$/);
      }
      const done = await waitForType(c, orderId, 'certificate');
      assert.equal(done.privateKey, undefined);
      assert.match(opensslVerify(rootPem, chainPem, pemBlocks(done.certificate!)[0]!), /OK/);
      assert.equal(await tlsHandshake(done.certificate!, key, rootPem, 'api.example.test'), true);
    }
  });

  it('applies for a wildcard and for several names in one package order', async () => {
    const wild = (
      await client.createCertificateForPackageRequest(
        new Models.CreateCertificateForPackageRequestRequest({
          productCode: 'geotrust-dv-w-starter',
          domain: '*.wild.example.test',
        }),
      )
    ).body!.orderId!;
    const multi = (
      await client.createCertificateForPackageRequest(
        new Models.CreateCertificateForPackageRequestRequest({
          productCode: 'globalsign-dv-1-personal',
          domain: 'a.example.test,b.example.test,c.example.test',
          validateType: 'FILE',
        }),
      )
    ).body!.orderId!;
    const w = await waitForType(client, wild, 'certificate');
    assert.match(opensslVerify(rootPem, chainPem, pemBlocks(w.certificate!)[0]!), /OK/);
    assert.equal(
      await tlsHandshake(w.certificate!, w.privateKey!, rootPem, 'anything.wild.example.test'),
      true,
    );
    const m = await waitForType(client, multi, 'certificate');
    assert.match(opensslVerify(rootPem, chainPem, pemBlocks(m.certificate!)[0]!), /OK/);
    // A paid code: the CA/Browser Forum maximum in force (200 days), counted as the Forum does (notAfter is
    // inside the period), not a second more.
    const leaf = new x509.X509Certificate(m.certificate!.split(/(?<=-----END CERTIFICATE-----)/)[0]!);
    assert.equal(leaf.notAfter.getTime() - leaf.notBefore.getTime() + 1_000, 200 * 86_400_000);
    for (const n of ['a', 'b', 'c'])
      assert.equal(await tlsHandshake(m.certificate!, m.privateKey!, rootPem, `${n}.example.test`), true);
    const listed = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ keyword: 'b.example.test' }),
      )
    ).body!;
    assert.equal(listed.totalCount, 1);
    const entry = listed.certificateOrderList![0]!;
    assert.equal(entry.orderId, multi);
    assert.equal(entry.domain, 'a.example.test,b.example.test,c.example.test');
    assert.equal(entry.domainType, 'MULTIPLE');
    // This server counts 365 days as "about to expire", so a 90-day certificate lists as WILLEXPIRED.
    assert.equal(entry.status, 'WILLEXPIRED');
    assert.equal(entry.sourceType, 'cpack');
    assert.equal(typeof entry.certEndTime, 'number');
    // Keywords ignore case on both stores (PostgreSQL's LIKE alone would not).
    const upper = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ keyword: 'B.Example.TEST' }),
      )
    ).body!;
    assert.deepEqual(
      upper.certificateOrderList!.map((o) => o.orderId),
      [multi],
    );
    // A whole InstanceId is a resource id (api.md 4.10): the order's own, in any case, or its certificate's.
    const cpack = async (keyword: string) =>
      (
        await client.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({ keyword }))
      ).body!.certificateOrderList!.map((o) => o.orderId);
    assert.match(entry.instanceId!, /^cas-order-[0-9a-z]+$/);
    assert.deepEqual(await cpack(entry.instanceId!.toUpperCase()), [multi]);
    const cert = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ orderType: 'CERT', keyword: 'b.example.test' }),
      )
    ).body!.certificateOrderList!;
    assert.equal(cert.length, 1);
    assert.match(cert[0]!.instanceId!, /^cas-cert-[0-9a-z]+$/);
    assert.deepEqual(await cpack(cert[0]!.instanceId!), [multi]);
    assert.deepEqual(await cpack(`${cert[0]!.certificateId}-cn-hangzhou`), [multi]);
    assert.deepEqual(await cpack(`${entry.instanceId!}0`), []);
  });

  it('cancel keeps the unit until delete gives it back; delete then forgets the order', async () => {
    const code = 'globalsign-dv-1-personal';
    const start = await counters(client, code);
    const slow = await startTestServer({
      flags: { validation: 'sandbox', sandboxDelayMs: '60000' },
      dataDir: undefined,
    });
    try {
      const c = sdk(slow.endpoint, slow.rootKey);
      const orderId = (
        await c.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'cancel.example.test',
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      assert.equal((await counters(c, 'digicert-free-1-free')).used, 1);
      const e1 = await sdkError(
        c.deleteCertificateRequest(new Models.DeleteCertificateRequestRequest({ orderId })),
      );
      assert.deepEqual([e1.code, e1.statusCode], ['OrderStateError', 403]);
      await c.cancelOrderRequest(new Models.CancelOrderRequestRequest({ orderId }));
      assert.equal(
        (await c.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))).body!
          .type,
        'payed',
      );
      assert.equal((await counters(c, 'digicert-free-1-free')).used, 1, 'cancel gives nothing back');
      const e2 = await sdkError(c.cancelOrderRequest(new Models.CancelOrderRequestRequest({ orderId })));
      assert.deepEqual([e2.code, e2.statusCode], ['OrderStateError', 403]);
      const listed = (
        await c.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({ status: 'PAYED' }))
      ).body!;
      assert.deepEqual(
        listed.certificateOrderList!.map((o) => o.orderId),
        [orderId],
      );
      await c.deleteCertificateRequest(new Models.DeleteCertificateRequestRequest({ orderId }));
      assert.equal((await counters(c, 'digicert-free-1-free')).used, 0);
      const e3 = await sdkError(
        c.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId })),
      );
      assert.deepEqual([e3.code, e3.statusCode], ['NotFoundOrder', 404]);
      // The operator still sees it, marked as deleted.
      const shown = cli(slow.dataDir, ['admin', 'order', 'show', String(orderId)]);
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout.split('\n')[0]!, / payed \(deleted \d{4}-\d\d-\d\dT/);
    } finally {
      await slow.stop();
    }
    assert.deepEqual(await counters(client, code), start);
  });

  it('an order whose CSR the CA refuses fails (verify_fail, history says why) instead of waiting in process', async () => {
    // An order accepted by an older version with a key today's profile refuses: an EC key with explicit
    // curve parameters. Its stored CSR is swapped under a waiting order, which is then due for issuance.
    const dir = mkdtempSync(path.join(tmpdir(), 'opencas-explicit-'));
    let refusedCsr: string;
    try {
      const keyFile = path.join(dir, 'key.pem');
      openssl([
        'ecparam',
        '-name',
        'prime256v1',
        '-param_enc',
        'explicit',
        '-genkey',
        '-noout',
        '-out',
        keyFile,
      ]);
      refusedCsr = openssl(['req', '-new', '-key', keyFile, '-subj', '/CN=refused.example.test']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const slow = await startTestServer({
      flags: { validation: 'sandbox', sandboxDelayMs: '3600000', workerIntervalMs: '50' },
    });
    try {
      const c = sdk(slow.endpoint, slow.rootKey);
      const orderId = (
        await c.createCertificateWithCsrRequest(
          new Models.CreateCertificateWithCsrRequestRequest({
            csr: makeCsr('refused.example.test').csr,
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      const used = (await counters(c, 'digicert-free-1-free')).used!;
      await slow.services.store.conn.db
        .updateTable('orders')
        .set({
          csr_pem: refusedCsr,
          status: 'process',
          validated_names: 'refused.example.test',
          next_check_at: 0,
        })
        .where('id', '=', orderId)
        .execute();
      const failed = await waitForType(c, orderId, 'verify_fail');
      assert.equal(failed.certificate, undefined);
      const shown = cliJson<{ history: Array<{ detail: string; to: string | null }> }>(slow.dataDir, [
        'order',
        'show',
        String(orderId),
      ]);
      const last = shown.history.at(-1)!;
      assert.equal(last.to, 'verify_fail');
      assert.match(last.detail, /^the certificate cannot be issued: /);
      // Failed like a validation: the unit stays used until the order is deleted, which gives it back.
      assert.equal((await counters(c, 'digicert-free-1-free')).used, used);
      await c.deleteCertificateRequest(new Models.DeleteCertificateRequestRequest({ orderId }));
      assert.equal((await counters(c, 'digicert-free-1-free')).used, used - 1);
    } finally {
      await slow.stop();
    }
  });

  it('revokes an issued order within 30 days and gives its unit back; a second revoke is OrderStateError', async () => {
    const code = 'globalsign-dv-1-personal';
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          productCode: code,
          domain: 'revoke.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    await waitForType(client, orderId, 'certificate');
    const issued = await counters(client, code);
    await client.cancelCertificateForPackageRequest(
      new Models.CancelCertificateForPackageRequestRequest({ orderId }),
    );
    assert.deepEqual(await counters(client, code), {
      total: issued.total,
      used: issued.used! - 1,
      issued: issued.issued! - 1,
    });
    const state = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.equal(state.type, 'certificate', 'a revoked order still reports its certificate');
    const revoked = (
      await client.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({ status: 'REVOKED' }))
    ).body!;
    assert.ok(revoked.certificateOrderList!.some((o) => o.orderId === orderId && o.status === 'REVOKED'));
    const e = await sdkError(
      client.cancelCertificateForPackageRequest(
        new Models.CancelCertificateForPackageRequestRequest({ orderId }),
      ),
    );
    assert.deepEqual([e.code, e.statusCode], ['OrderStateError', 403]);
    const e2 = await sdkError(
      client.renewCertificateOrderForPackageRequest(
        new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
      ),
    );
    assert.equal(e2.code, 'OrderStateError');
  });

  it('renews an issued order into a new order that reuses the validation and is issued', async () => {
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          domain: 'renew.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    await waitForType(client, orderId, 'certificate');
    const used = (await counters(client, 'digicert-free-1-free')).used!;
    const renewed = (
      await client.renewCertificateOrderForPackageRequest(
        new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
      )
    ).body!.orderId!;
    assert.notEqual(renewed, orderId);
    assert.equal((await counters(client, 'digicert-free-1-free')).used, used + 1);
    const first = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId: renewed }))
    ).body!;
    assert.ok(
      ['process', 'certificate'].includes(first.type!),
      `renewal reuses the validation, got ${first.type}`,
    );
    await waitForType(client, renewed, 'certificate');
    // The issued renewal stands for the order: renewing the order again is refused, naming it...
    const renew = () =>
      client.renewCertificateOrderForPackageRequest(
        new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
      );
    const again = await sdkError(renew());
    assert.deepEqual([again.code, again.statusCode], ['OrderStateError', 403]);
    assert.match(
      String(again.data?.['Message']),
      new RegExp(`renewed as order ${renewed} \\(certificate\\)`),
    );
    // ...until its certificate is revoked: a revoked renewal can neither be deleted nor renewed, so the
    // order it came from can be renewed once more.
    await client.cancelCertificateForPackageRequest(
      new Models.CancelCertificateForPackageRequestRequest({ orderId: renewed }),
    );
    const second = (await renew()).body!.orderId!;
    assert.ok(second !== renewed && second !== orderId);
    await waitForType(client, second, 'certificate');
  });

  it('renews an order once: a second renewal while the first is live is OrderStateError, even in parallel', async () => {
    const code = 'symantec-ov-1-personal';
    grantPlan(server.dataDir, 'root', code, '5');
    const orderId = (
      await client.createCertificateForPackageRequest(
        new Models.CreateCertificateForPackageRequestRequest({
          productCode: code,
          domain: 'once.example.test',
        }),
      )
    ).body!.orderId!;
    await waitForType(client, orderId, 'process');
    cliJson(server.dataDir, ['order', 'approve', String(orderId)]);
    await waitForType(client, orderId, 'certificate');
    const renew = () =>
      client.renewCertificateOrderForPackageRequest(
        new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
      );
    const used = (await counters(client, code)).used!;
    const results = await Promise.allSettled(Array.from({ length: 4 }, renew));
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1, 'exactly one renewal');
    for (const r of results)
      if (r.status === 'rejected')
        assert.deepEqual(
          [(r.reason as SdkError).code, (r.reason as SdkError).statusCode],
          ['OrderStateError', 403],
        );
    assert.equal((await counters(client, code)).used, used + 1, 'one unit taken');
    const renewal = ok[0]!.value.body!.orderId!;
    // An OV renewal waits for the operator: while it lives, the order cannot be renewed again.
    await waitForType(client, renewal, 'process');
    const again = await sdkError(renew());
    assert.deepEqual([again.code, again.statusCode], ['OrderStateError', 403]);
    assert.match(String(again.data?.['Message']), new RegExp(`renewed as order ${renewal}`));
    // Once that renewal is dropped (cancelled before issuance, its unit back), the order can be renewed again.
    await client.cancelCertificateForPackageRequest(
      new Models.CancelCertificateForPackageRequestRequest({ orderId: renewal }),
    );
    assert.equal((await counters(client, code)).used, used);
    const second = (await renew()).body!.orderId!;
    assert.notEqual(second, renewal);
    assert.equal((await counters(client, code)).used, used + 1);
  });

  it('NotFoundPackage without a plan, NotRemainCount when it is used up: nothing is written', async () => {
    const e = await sdkError(
      client.createCertificateForPackageRequest(
        new Models.CreateCertificateForPackageRequestRequest({
          productCode: 'cfca-ov-1-personal',
          domain: 'ov.example.test',
        }),
      ),
    );
    assert.deepEqual([e.code, e.statusCode], ['NotFoundPackage', 404]);
    const acct = cliJson<{ uid: number }>(server.dataDir, ['account', 'create', '--name', 'quota-team']);
    const key = cliJson<Credentials>(server.dataDir, ['key', 'create', '--account', String(acct.uid)]);
    grantPlan(server.dataDir, String(acct.uid), 'geotrust-dv-1-starter', '3');
    const c = sdk(server.endpoint, key);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        c.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            productCode: 'geotrust-dv-1-starter',
            domain: `p${i}.example.test`,
            validateType: 'DNS',
            ...contact,
          }),
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as SdkError);
    assert.equal(ok.length, 3);
    assert.equal(failed.length, 17);
    for (const f of failed) assert.deepEqual([f.code, f.statusCode], ['NotRemainCount', 404]);
    assert.deepEqual(await counters(c, 'geotrust-dv-1-starter'), { total: 3, used: 3, issued: 0 });
    const listed = (await c.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({}))).body!;
    assert.equal(listed.totalCount, 3);
    // Another account's order is NotFoundOrder, exactly like one that does not exist.
    const mine = listed.certificateOrderList![0]!.orderId!;
    for (const orderId of [mine]) {
      for (const call of [
        () => client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId })),
        () => client.cancelOrderRequest(new Models.CancelOrderRequestRequest({ orderId })),
        () => client.deleteCertificateRequest(new Models.DeleteCertificateRequestRequest({ orderId })),
        () =>
          client.cancelCertificateForPackageRequest(
            new Models.CancelCertificateForPackageRequestRequest({ orderId }),
          ),
        () =>
          client.renewCertificateOrderForPackageRequest(
            new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
          ),
      ]) {
        const err = await sdkError(call());
        assert.deepEqual([err.code, err.statusCode], ['NotFoundOrder', 404]);
      }
    }
    const missing = await sdkError(
      client.describeCertificateState(
        new Models.DescribeCertificateStateRequest({ orderId: 1234567890123456 }),
      ),
    );
    assert.deepEqual([missing.code, missing.statusCode], ['NotFoundOrder', 404]);
  });

  it('lists issued certificates with OrderType CERT and plans with BUY', async () => {
    const certs = (
      await client.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({ orderType: 'CERT' }))
    ).body!;
    assert.ok(certs.totalCount! >= 3);
    const c = certs.certificateOrderList!.find((x) => x.commonName === 'www.example.test')!;
    assert.equal(typeof c.certificateId, 'number');
    assert.equal(c.upload, false);
    assert.equal(c.expired, false);
    assert.match(c.fingerprint!, /^[0-9A-F]{40}$/);
    assert.match(c.sha2!, /^[0-9A-F]{64}$/);
    assert.match(c.startDate!, /^\d{4}-\d{2}-\d{2}$/);
    const buy = (await pop(server.endpoint, server.rootKey).request('ListUserCertificateOrder', {
      OrderType: 'BUY',
    })) as {
      CertificateOrderList: Array<{ ProductCode: string; SourceType: string }>;
    };
    assert.ok(
      buy.CertificateOrderList.some(
        (p) => p.ProductCode === 'geotrust-dv-w-starter' && p.SourceType === 'buy',
      ),
    );
    const uploads = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ orderType: 'UPLOAD' }),
      )
    ).body!;
    assert.deepEqual([uploads.totalCount, uploads.certificateOrderList], [0, []]);
  });
});

describe('OV vetting and the validation window', () => {
  it('holds OV orders in process until the operator approves or rejects them', async () => {
    const server = await startTestServer({
      flags: { validation: 'sandbox', sandboxDelayMs: '0', workerIntervalMs: '50' },
    });
    try {
      const client = sdk(server.endpoint, server.rootKey);
      grantPlan(server.dataDir, 'root', 'geotrust-ov-1-personal', '2');
      const create = async (domain: string) =>
        (
          await client.createCertificateForPackageRequest(
            new Models.CreateCertificateForPackageRequestRequest({
              productCode: 'geotrust-ov-1-personal',
              domain,
              companyName: 'Example Ltd',
            }),
          )
        ).body!.orderId!;
      const approved = await create('ov1.example.test');
      const rejected = await create('ov2.example.test');
      await waitForType(client, approved, 'process');
      await waitForType(client, rejected, 'process');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(
        (
          await client.describeCertificateState(
            new Models.DescribeCertificateStateRequest({ orderId: approved }),
          )
        ).body!.type,
        'process',
      );
      assert.equal(
        cliJson<{ approval: string }>(server.dataDir, ['order', 'approve', String(approved)]).approval,
        'approved',
      );
      assert.equal(
        cliJson<{ approval: string }>(server.dataDir, ['order', 'reject', String(rejected)]).approval,
        'rejected',
      );
      await waitForType(client, approved, 'certificate');
      await waitForType(client, rejected, 'verify_fail');
      assert.deepEqual(await counters(client, 'geotrust-ov-1-personal'), { total: 2, used: 2, issued: 1 });
      await client.deleteCertificateRequest(
        new Models.DeleteCertificateRequestRequest({ orderId: rejected }),
      );
      assert.deepEqual(await counters(client, 'geotrust-ov-1-personal'), { total: 2, used: 1, issued: 1 });
    } finally {
      await server.stop();
    }
  });

  it('fails an order that is not validated within the window (verify_fail), keeping its unit until deleted', async () => {
    const clock = new ManualClock(Date.now());
    const server = await startTestServer({
      clock,
      flags: { validation: 'sandbox', sandboxDelayMs: '86400000', workerIntervalMs: '50' },
    });
    try {
      const client = sdk(server.endpoint, server.rootKey);
      const orderId = (
        await client.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'late.example.test',
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      clock.advance(25 * 3_600_000);
      // Signed with the server's (moved) clock, through a raw V1 request.
      const { v1Params, v1Request } = await import('../helpers/raw.js');
      const deadline = Date.now() + 10_000;
      let type: unknown;
      do {
        await new Promise((r) => setTimeout(r, 100));
        const r = await v1Request(
          server.endpoint,
          server.rootKey,
          v1Params(
            server.rootKey,
            'DescribeCertificateState',
            { OrderId: String(orderId) },
            { Timestamp: new Date(clock.now()).toISOString() },
          ),
        );
        type = r.json.Type;
      } while (type !== 'verify_fail' && Date.now() < deadline);
      assert.equal(type, 'verify_fail');
      const history = cliJson<{ history: Array<{ detail: string }> }>(server.dataDir, [
        'order',
        'show',
        String(orderId),
      ]).history;
      assert.ok(history.some((e) => /validation window/.test(e.detail)));
    } finally {
      await server.stop();
    }
  });
});

describe('issuing from an existing CA given in config', () => {
  it('signs with the configured intermediate, serves its root and chain, and never creates an embedded CA', async () => {
    const { createCa } = await import('../../src/pki/ca.js');
    const { mkdtempSync, writeFileSync, existsSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'opencas-ca-'));
    const files = await createCa({ algorithm: 'RSA', name: 'Acme Internal', now: Date.now() });
    const f = (n: string, c: string) => {
      writeFileSync(path.join(dir, n), c);
      return path.join(dir, n);
    };
    const server = await startTestServer({
      flags: {
        validation: 'sandbox',
        sandboxDelayMs: '0',
        workerIntervalMs: '50',
        caCertFile: f('issuing.pem', files.intermediateCertPem),
        caKeyFile: f('issuing.key', files.intermediateKeyPem),
        caRootFile: f('root.pem', files.rootCertPem),
      },
    });
    try {
      const client = sdk(server.endpoint, server.rootKey);
      const served = await (await fetch(`${server.url}/ca/root.pem`)).text();
      assert.equal(served.trim(), files.rootCertPem.trim());
      const orderId = (
        await client.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'acme.example.test',
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      const done = await waitForType(client, orderId, 'certificate');
      const [leaf, chain] = pemBlocks(done.certificate!);
      assert.equal(chain!.trim(), files.intermediateCertPem.trim());
      assert.match(opensslVerify(files.rootCertPem, files.intermediateCertPem, leaf!), /OK/);
      assert.equal(
        await tlsHandshake(done.certificate!, done.privateKey!, files.rootCertPem, 'acme.example.test'),
        true,
      );
      assert.equal(existsSync(path.join(server.dataDir, 'ca')), false);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
