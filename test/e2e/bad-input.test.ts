/**
 * Bad input through the official clients against a running server: every refusal carries the documented
 * code and HTTP status, names the offending parameter (decisions.md 5), and writes nothing (no unit taken,
 * no order listed). Also the state rules of decisions.md 8, 11 and 18 (OrderStateError 403).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { grantPlan } from '../helpers/cli.js';
import { accountClient, contact } from '../helpers/orders.js';
import { makeCsr, openssl } from '../helpers/pki.js';
import { Models, pop, sdk, startTestServer, type CasClient, type TestServer } from '../helpers/server.js';

interface Failure {
  code: string;
  statusCode: number;
  message: string;
}

/** The error of an official SDK call (ClientError: code, statusCode, data = the error body). */
async function sdkFailure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    const e = err as {
      code?: unknown;
      statusCode?: unknown;
      message?: unknown;
      data?: { Message?: unknown };
    };
    return {
      code: String(e.code),
      statusCode: Number(e.statusCode),
      message: String(e.data?.Message ?? e.message),
    };
  }
  return assert.fail('the call was expected to fail');
}

/** The error of a pop-core call (code, data = the error body, entry.response.statusCode). */
async function popFailure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    const e = err as {
      code?: unknown;
      message?: unknown;
      data?: { Message?: unknown };
      entry?: { response?: { statusCode?: unknown } };
    };
    return {
      code: String(e.code),
      statusCode: Number(e.entry?.response?.statusCode),
      message: String(e.data?.Message ?? e.message),
    };
  }
  return assert.fail('the call was expected to fail');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The message names `param` as a word of its own (case-sensitive: "Csr", "Domain", "Tags.1.Key"). */
function assertNames(message: string, param: string): void {
  assert.match(
    message,
    new RegExp(`(^|[^A-Za-z0-9_.])${escapeRe(param)}(?![A-Za-z0-9_])`),
    `the message should name ${param}: ${message}`,
  );
}

function assertFailure(f: Failure, code: string, status: number, param?: string): void {
  assert.deepEqual([f.code, f.statusCode], [code, status], `got ${f.code} ${f.statusCode}: ${f.message}`);
  if (param !== undefined) assertNames(f.message, param);
}

const FREE = 'digicert-free-1-free';
const WILD = 'geotrust-dv-w-starter';
const MULTI = 'globalsign-dv-1-personal';
const OV = 'symantec-ov-1-personal';
const CODES = [FREE, WILD, MULTI, OV];

interface Snapshot {
  used: Record<string, number | undefined>;
  issued: Record<string, number | undefined>;
  orders: number | undefined;
}

/** UsedCount and IssuedCount per ProductCode, and how many orders ListUserCertificateOrder lists. */
async function snapshot(client: CasClient, codes: string[] = CODES): Promise<Snapshot> {
  const used: Snapshot['used'] = {};
  const issued: Snapshot['issued'] = {};
  for (const productCode of codes) {
    const b = (await client.describePackageState(new Models.DescribePackageStateRequest({ productCode })))
      .body!;
    used[productCode] = b.usedCount;
    issued[productCode] = b.issuedCount;
  }
  const orders = (await client.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({}))).body!
    .totalCount;
  return { used, issued, orders };
}

/** Runs a call that must be refused and checks that neither UsedCount nor the order list moved. */
async function refused(
  client: CasClient,
  call: () => Promise<Failure>,
  code: string,
  status: number,
  param?: string,
  opts: { codes?: string[]; issuedToo?: boolean } = {},
): Promise<Failure> {
  const codes = opts.codes ?? CODES;
  const before = await snapshot(client, codes);
  const f = await call();
  assertFailure(f, code, status, param);
  const after = await snapshot(client, codes);
  assert.deepEqual(after.used, before.used, 'UsedCount must not move');
  assert.equal(after.orders, before.orders, 'ListUserCertificateOrder TotalCount must not move');
  if (opts.issuedToo) assert.deepEqual(after.issued, before.issued, 'IssuedCount must not move');
  return f;
}

async function stateOf(client: CasClient, orderId: number) {
  return (await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId })))
    .body!;
}

async function waitForType(client: CasClient, orderId: number, type: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await stateOf(client, orderId);
    if (body.type === type) return body;
    if (Date.now() > deadline) assert.fail(`order ${orderId} stayed ${body.type}, expected ${type}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until no order of the account is still being validated or issued. */
async function settle(client: CasClient, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ status: 'CHECKING' }),
      )
    ).body!.totalCount;
    if (n === 0) return;
    if (Date.now() > deadline) assert.fail(`${n} orders are still CHECKING`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The CPACK list entry of one order, found through the Keyword filter. */
async function listed(client: CasClient, orderId: number, keyword: string) {
  const body = (
    await client.listUserCertificateOrder(
      new Models.ListUserCertificateOrderRequest({ keyword, showSize: 100 }),
    )
  ).body!;
  const entry = body.certificateOrderList?.find((o) => o.orderId === orderId);
  assert.ok(entry, `order ${orderId} should be listed under keyword ${keyword}`);
  return entry;
}

// ---- CSR fixtures -------------------------------------------------------------------------------

function inTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'opencas-bad-csr-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function armour(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.endsWith('\n') ? b64 : b64 + '\n'}-----END ${label}-----\n`;
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** An RSA-2048 CSR with one byte of its signature flipped (the last 256 bytes of the DER are the signature). */
function brokenSignatureCsr(): string {
  const good = makeCsr('broken-sig.example.test', 'rsa:2048').csr;
  assert.equal(opensslAcceptsCsr(good), true, 'the unbroken CSR verifies');
  const der = derOf(good);
  const i = der.length - 10;
  der[i] = der[i]! ^ 0x5a;
  return armour('CERTIFICATE REQUEST', der);
}

function secp256k1Csr(): string {
  return inTempDir((dir) => {
    const key = path.join(dir, 'k.pem');
    openssl(['ecparam', '-name', 'secp256k1', '-genkey', '-noout', '-out', key]);
    return openssl(['req', '-new', '-key', key, '-subj', '/CN=k1.example.test']);
  });
}

function ed25519Csr(): string {
  return inTempDir((dir) => {
    const key = path.join(dir, 'k.pem');
    openssl(['genpkey', '-algorithm', 'ed25519', '-out', key]);
    return openssl(['req', '-new', '-key', key, '-subj', '/CN=ed.example.test']);
  });
}

/**
 * A CSR for `cn` made by openssl with a key that `makeKey` writes to the file it is given, signed with the
 * extra `openssl req` arguments (a digest, -sigopt).
 */
function opensslCsrWith(cn: string, makeKey: (keyFile: string) => void, reqArgs: string[] = []): string {
  return inTempDir((dir) => {
    const key = path.join(dir, 'k.pem');
    makeKey(key);
    return openssl(['req', '-new', '-key', key, '-subj', `/CN=${cn}`, ...reqArgs]);
  });
}

const rsaKey =
  (bits = 2048, exponent = 65537) =>
  (file: string) =>
    openssl([
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      `rsa_keygen_bits:${bits}`,
      '-pkeyopt',
      `rsa_keygen_pubexp:${exponent}`,
      '-out',
      file,
    ]);

/** An EC key whose SubjectPublicKeyInfo carries the curve as explicit parameters, not its name. */
const explicitCurveKey = (curve: string) => (file: string) =>
  openssl(['ecparam', '-name', curve, '-param_enc', 'explicit', '-genkey', '-out', file]);

/** A P-256 key whose public point is written compressed (or hybrid): `conv_form`. */
const pointFormKey = (form: 'compressed' | 'hybrid') => (file: string) => {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${file}.plain`]);
  openssl(['ec', '-in', `${file}.plain`, '-conv_form', form, '-out', file]);
};

function selfSignedCertificate(): string {
  return inTempDir((dir) => {
    const key = path.join(dir, 'k.pem');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    return openssl(['req', '-x509', '-new', '-key', key, '-subj', '/CN=cert.example.test', '-days', '1']);
  });
}

/** `openssl req -verify`; OpenSSL 3.0 exits 0 either way, so its verdict is read from the output. */
function opensslAcceptsCsr(pem: string): boolean {
  const r = spawnSync('openssl', ['req', '-verify', '-noout'], { input: pem, encoding: 'utf8' });
  return r.status === 0 && /verify OK/.test(r.stdout + r.stderr);
}

// ---- the tests ----------------------------------------------------------------------------------

describe('bad input is refused with the parameter named, and nothing is written', () => {
  let server: TestServer;
  let client: CasClient;
  before(async () => {
    server = await startTestServer({
      flags: { validation: 'sandbox', sandboxDelayMs: '300', workerIntervalMs: '50' },
    });
    client = sdk(server.endpoint, server.rootKey);
    for (const [code, count] of [
      [WILD, '5'],
      [MULTI, '5'],
      [OV, '2'],
    ] as const)
      grantPlan(server.dataDir, 'root', code, count);
  });
  after(async () => {
    await server.stop();
  });

  const withCsr = (csr: string) =>
    sdkFailure(
      client.createCertificateWithCsrRequest(
        new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'DNS', ...contact }),
      ),
    );
  const packageWithCsr = (csr: string) =>
    sdkFailure(
      client.createCertificateForPackageRequest(
        new Models.CreateCertificateForPackageRequestRequest({ csr }),
      ),
    );

  describe('CSR rules (decisions.md 19)', () => {
    const badCsrs: Array<[string, () => string, RegExp?]> = [
      ['an RSA-1024 key', () => makeCsr('rsa1024.example.test', 'rsa:1024').csr],
      [
        'a broken self-signature',
        () => {
          const csr = brokenSignatureCsr();
          assert.equal(opensslAcceptsCsr(csr), false, 'the fixture must fail openssl req -verify');
          return csr;
        },
      ],
      ['no CN', () => makeCsr(null, 'ec').csr],
      ['an unsupported curve (secp256k1)', secp256k1Csr],
      ['an Ed25519 key', ed25519Csr],
      [
        'a truncated PEM',
        () => {
          const csr = makeCsr('truncated.example.test', 'ec').csr;
          return csr.slice(0, Math.floor(csr.length / 2));
        },
      ],
      ['random non-PEM text', () => `this is not a CSR at all ${randomBytes(48).toString('hex')}\n`],
      ['a certificate instead of a CSR', selfSignedCertificate],
      // Keys the issuer would refuse: accepted, they took a unit and left the order in `process` for good.
      [
        'a P-256 key given with explicit curve parameters',
        () => opensslCsrWith('explicit.example.test', explicitCurveKey('prime256v1')),
        /explicit parameters; the curve must be named: P-256 or P-384/,
      ],
      [
        'a P-384 key given with explicit curve parameters',
        () => opensslCsrWith('explicit384.example.test', explicitCurveKey('secp384r1')),
        /explicit parameters; the curve must be named: P-256 or P-384/,
      ],
      [
        'a compressed EC point',
        () => opensslCsrWith('compressed.example.test', pointFormKey('compressed')),
        /EC point uncompressed/,
      ],
      [
        'a hybrid EC point',
        () => opensslCsrWith('hybrid.example.test', pointFormKey('hybrid')),
        /EC point uncompressed/,
      ],
      [
        'an Ed448 key',
        () =>
          opensslCsrWith('ed448.example.test', (f) => openssl(['genpkey', '-algorithm', 'ed448', '-out', f])),
        /unsupported key algorithm Ed448/,
      ],
      [
        'an RSA-PSS key (id-RSASSA-PSS)',
        () =>
          opensslCsrWith('psskey.example.test', (f) =>
            openssl(['genpkey', '-algorithm', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f]),
          ),
        /unsupported key algorithm RSA-PSS/,
      ],
      [
        'an MD5 self-signature',
        () => opensslCsrWith('md5.example.test', rsaKey(), ['-md5']),
        /signature uses an unsupported algorithm/,
      ],
    ];
    for (const [what, make, why] of badCsrs) {
      it(`a CSR with ${what} is InvalidParameter (400) naming Csr, on both CSR-taking calls`, async () => {
        const csr = make();
        for (const call of [withCsr, packageWithCsr]) {
          const f = await refused(client, () => call(csr), 'InvalidParameter', 400, 'Csr');
          if (why) assert.match(f.message, why);
        }
      });
    }

    it('CSRs with an RSA exponent of 3, an RSA-PSS or a SHA-1 self-signature, or an RSA-4096 key are issued', async () => {
      // Every key the CSR check accepts must be one the issuer certifies: each of these orders is issued.
      const c = accountClient(server, 'csr-keys');
      const csrs: Array<[string, string]> = [
        ['e3.example.test', opensslCsrWith('e3.example.test', rsaKey(2048, 3))],
        [
          'pss-sig.example.test',
          opensslCsrWith('pss-sig.example.test', rsaKey(), [
            '-sha256',
            '-sigopt',
            'rsa_padding_mode:pss',
            '-sigopt',
            'rsa_pss_saltlen:32',
          ]),
        ],
        ['sha1.example.test', opensslCsrWith('sha1.example.test', rsaKey(), ['-sha1'])],
        ['rsa4096.example.test', opensslCsrWith('rsa4096.example.test', rsaKey(4096))],
      ];
      for (const [i, [cn, csr]] of csrs.entries()) {
        const orderId = (
          i % 2
            ? await c.createCertificateForPackageRequest(
                new Models.CreateCertificateForPackageRequestRequest({ csr }),
              )
            : await c.createCertificateWithCsrRequest(
                new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'DNS', ...contact }),
              )
        ).body!.orderId!;
        // openssl x509 reads the first block: the leaf.
        const leaf = (await waitForType(c, orderId, 'certificate')).certificate!;
        assert.match(openssl(['x509', '-noout', '-subject'], leaf), new RegExp(`CN ?= ?${cn}`));
        assert.equal(
          openssl(['x509', '-noout', '-pubkey'], leaf),
          openssl(['req', '-noout', '-pubkey'], csr),
          `${cn}: the certificate holds the CSR's key`,
        );
      }
    });

    /** Applies with the CSR through both calls; each takes one unit and lists one order for `cn`. */
    async function accepted(makeOne: () => string, cn: string) {
      for (const call of ['with-csr', 'package'] as const) {
        const csr = makeOne();
        const before = await snapshot(client, [FREE]);
        const orderId =
          call === 'with-csr'
            ? (
                await client.createCertificateWithCsrRequest(
                  new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'DNS', ...contact }),
                )
              ).body!.orderId!
            : (
                await client.createCertificateForPackageRequest(
                  new Models.CreateCertificateForPackageRequestRequest({ csr }),
                )
              ).body!.orderId!;
        assert.ok(Number.isSafeInteger(orderId) && orderId > 0);
        const now = await snapshot(client, [FREE]);
        assert.equal(now.used[FREE], before.used[FREE]! + 1, `${call}: one unit taken`);
        assert.equal(now.orders, before.orders! + 1, `${call}: one order listed`);
        assert.ok(
          ['domain_verify', 'process', 'certificate'].includes((await stateOf(client, orderId)).type!),
        );
        assert.equal((await listed(client, orderId, cn)).domain, cn);
      }
    }

    it('P-384 and RSA-2048 CSRs are accepted', async () => {
      await accepted(() => makeCsr('p384.example.test', 'ec384').csr, 'p384.example.test');
      await accepted(() => makeCsr('rsa2048.example.test', 'rsa:2048').csr, 'rsa2048.example.test');
    });

    it('a CSR with CRLF line endings and a BOM is accepted', async () => {
      await accepted(
        () => '\ufeff' + makeCsr('crlf.example.test', 'ec').csr.replace(/\r?\n/g, '\r\n'),
        'crlf.example.test',
      );
    });
  });

  describe('Domain rules (CreateCertificateRequest)', () => {
    const create = (domain: string, extra: Record<string, string> = {}) =>
      sdkFailure(
        client.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({ domain, validateType: 'DNS', ...contact, ...extra }),
        ),
      );
    // 254 characters: every label is legal, only the total length is not (and a much longer one).
    const justTooLong = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(49)}.example.test`;
    assert.equal(justTooLong.length, 254);
    const tooLong = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example.test`;
    const badDomains: Array<[string, string]> = [
      ['an IPv4 literal', '192.0.2.10'],
      ['an IPv6 literal', '2001:db8::1'],
      ['a bare TLD', 'com'],
      ['a public suffix', 'co.uk'],
      ['a TLD outside the Public Suffix List', 'www.example.con'],
      ['a name of 254 characters', justTooLong],
      ['a name of 268 characters', tooLong],
      ['an empty label', 'a..example.test'],
      ['an underscore', 'a_b.example.test'],
      ['a label over 63 characters', `${'x'.repeat(64)}.example.test`],
      ["'*' in the middle", 'a.*.example.test'],
    ];
    for (const [what, domain] of badDomains) {
      it(`${what} (${domain.length > 40 ? domain.slice(0, 37) + '...' : domain}) is InvalidParameter naming Domain`, async () => {
        await refused(client, () => create(domain), 'InvalidParameter', 400, 'Domain');
      });
    }

    it('upper case and a trailing dot are normalised', async () => {
      const before = await snapshot(client, [FREE]);
      const orderId = (
        await client.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'Mixed.CASE.Example.Test.',
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      assert.equal((await snapshot(client, [FREE])).used[FREE], before.used[FREE]! + 1);
      assert.equal(
        (await listed(client, orderId, 'mixed.case.example.test')).domain,
        'mixed.case.example.test',
      );
    });

    it('a Unicode name becomes punycode', async () => {
      const orderId = (
        await client.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'bücher.example.test',
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      assert.equal((await listed(client, orderId, 'xn--bcher-kva')).domain, 'xn--bcher-kva.example.test');
    });
  });

  describe('product and name kind (decisions.md 7, 13)', () => {
    it('a wildcard on a single-domain code is InvalidParameter naming Domain', async () => {
      await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateRequest(
              new Models.CreateCertificateRequestRequest({
                productCode: FREE,
                domain: '*.single.example.test',
                validateType: 'DNS',
                ...contact,
              }),
            ),
          ),
        'InvalidParameter',
        400,
        'Domain',
      );
    });

    it('a plain name on a wildcard code is InvalidParameter naming Domain', async () => {
      await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateRequest(
              new Models.CreateCertificateRequestRequest({
                productCode: WILD,
                domain: 'plain.example.test',
                validateType: 'DNS',
                ...contact,
              }),
            ),
          ),
        'InvalidParameter',
        400,
        'Domain',
      );
    });

    it('FILE validation for a wildcard is InvalidParameter naming ValidateType', async () => {
      await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateRequest(
              new Models.CreateCertificateRequestRequest({
                productCode: WILD,
                domain: '*.file.example.test',
                validateType: 'FILE',
                ...contact,
              }),
            ),
          ),
        'InvalidParameter',
        400,
        'ValidateType',
      );
      await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateForPackageRequest(
              new Models.CreateCertificateForPackageRequestRequest({
                productCode: WILD,
                domain: '*.file.example.test',
                validateType: 'FILE',
              }),
            ),
          ),
        'InvalidParameter',
        400,
        'ValidateType',
      );
    });

    it('an OV code on CreateCertificateRequest is InvalidParameter naming ProductCode (even with an OV plan)', async () => {
      await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateRequest(
              new Models.CreateCertificateRequestRequest({
                productCode: OV,
                domain: 'ov.example.test',
                validateType: 'DNS',
                ...contact,
              }),
            ),
          ),
        'InvalidParameter',
        400,
        'ProductCode',
      );
    });

    it('a package call with 6 names is InvalidParameter naming Domain', async () => {
      const six = Array.from({ length: 6 }, (_, i) => `n${i}.six.example.test`).join(',');
      for (const productCode of [FREE, MULTI]) {
        await refused(
          client,
          () =>
            sdkFailure(
              client.createCertificateForPackageRequest(
                new Models.CreateCertificateForPackageRequestRequest({ productCode, domain: six }),
              ),
            ),
          'InvalidParameter',
          400,
          'Domain',
        );
      }
    });

    it('a package call mixing wildcard and plain names is InvalidParameter naming Domain', async () => {
      for (const [productCode, domain] of [
        [MULTI, 'www.mix.example.test,*.mix.example.test'],
        [WILD, '*.mix.example.test,www.mix.example.test'],
      ] as const) {
        await refused(
          client,
          () =>
            sdkFailure(
              client.createCertificateForPackageRequest(
                new Models.CreateCertificateForPackageRequestRequest({ productCode, domain }),
              ),
            ),
          'InvalidParameter',
          400,
          'Domain',
        );
      }
    });

    it('a package call with neither Domain nor Csr is MissingParameter (400)', async () => {
      const f = await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateForPackageRequest(
              new Models.CreateCertificateForPackageRequestRequest({
                productCode: FREE,
                validateType: 'DNS',
              }),
            ),
          ),
        'MissingParameter',
        400,
      );
      assert.match(f.message, /\bDomain\b|\bCsr\b/);
    });
  });

  describe('required parameters of CreateCertificateRequest', () => {
    const full = { domain: 'required.example.test', validateType: 'DNS', ...contact };
    for (const [param, field] of [
      ['Domain', 'domain'],
      ['Email', 'email'],
      ['Phone', 'phone'],
      ['Username', 'username'],
      ['ValidateType', 'validateType'],
    ] as const) {
      it(`without ${param}: MissingParameter (400) naming ${param}`, async () => {
        const req: Record<string, string> = { ...full };
        delete req[field];
        await refused(
          client,
          () => sdkFailure(client.createCertificateRequest(new Models.CreateCertificateRequestRequest(req))),
          'MissingParameter',
          400,
          param,
        );
      });
    }

    it('ValidateType=EMAIL is InvalidParameter naming ValidateType', async () => {
      await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateRequest(
              new Models.CreateCertificateRequestRequest({ ...full, validateType: 'EMAIL' }),
            ),
          ),
        'InvalidParameter',
        400,
        'ValidateType',
      );
    });

    it('a bad e-mail address is InvalidParameter naming Email', async () => {
      await refused(
        client,
        () =>
          sdkFailure(
            client.createCertificateRequest(
              new Models.CreateCertificateRequestRequest({ ...full, email: 'not-an-e-mail' }),
            ),
          ),
        'InvalidParameter',
        400,
        'Email',
      );
    });
  });

  describe('OrderId', () => {
    const actions = [
      'DescribeCertificateState',
      'CancelOrderRequest',
      'DeleteCertificateRequest',
      'CancelCertificateForPackageRequest',
      'RenewCertificateOrderForPackageRequest',
    ];
    for (const bad of ['0', '-1', 'abc', '1.5', '99999999999999999999']) {
      it(`OrderId=${bad} is InvalidParameter (400) naming OrderId on every order action (pop-core)`, async () => {
        const p = pop(server.endpoint, server.rootKey);
        for (const action of actions) {
          await refused(
            client,
            () => popFailure(p.request(action, { OrderId: bad })),
            'InvalidParameter',
            400,
            'OrderId',
          );
        }
      });
    }

    it('a well-formed unknown OrderId is NotFoundOrder (404) on every order action', async () => {
      const orderId = Number.MAX_SAFE_INTEGER;
      const calls = [
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
      ];
      for (const call of calls) await refused(client, () => sdkFailure(call()), 'NotFoundOrder', 404);
    });
  });

  describe('Tags (pop-core, raw names)', () => {
    const base = {
      Domain: 'tags.example.test',
      ValidateType: 'DNS',
      Email: contact.email,
      Phone: contact.phone,
      Username: contact.username,
    };
    for (const [what, tags, param] of [
      ['an empty Tags.1.Key', { 'Tags.1.Key': '', 'Tags.1.Value': 'v' }, 'Tags.1.Key'],
      ['a key starting with aliyun', { 'Tags.1.Key': 'aliyunOwner', 'Tags.1.Value': 'v' }, 'Tags.1.Key'],
      ['Tags.21.Key', { 'Tags.21.Key': 'k21', 'Tags.21.Value': 'v' }, 'Tags.21.Key'],
      ['a key over 64 characters', { 'Tags.1.Key': 'k'.repeat(65), 'Tags.1.Value': 'v' }, 'Tags.1.Key'],
      ['a key starting with a digit', { 'Tags.1.Key': '1env', 'Tags.1.Value': 'v' }, 'Tags.1.Key'],
      ['a key with a space', { 'Tags.2.Key': 'cost centre', 'Tags.2.Value': 'v' }, 'Tags.2.Key'],
      [
        'a value over 128 characters',
        { 'Tags.1.Key': 'env', 'Tags.1.Value': 'v'.repeat(129) },
        'Tags.1.Value',
      ],
      [
        'a value of 129 emoji',
        { 'Tags.1.Key': 'env', 'Tags.1.Value': '\u{1F511}'.repeat(129) },
        'Tags.1.Value',
      ],
      ['a value holding NUL', { 'Tags.1.Key': 'env', 'Tags.1.Value': 'a\u0000b' }, 'Tags.1.Value'],
    ] as const) {
      it(`${what} is InvalidParameter naming ${param}`, async () => {
        const p = pop(server.endpoint, server.rootKey);
        await refused(
          client,
          () => popFailure(p.request('CreateCertificateRequest', { ...base, ...tags })),
          'InvalidParameter',
          400,
          param,
        );
      });
    }
  });

  describe('Tags accepted (api.md 4.2 and 4.3 differ on keys)', () => {
    it('CreateCertificateRequest takes 20 tags and an empty value; CreateCertificateWithCsrRequest a 128-character key with a space', async () => {
      const tags: Record<string, string> = {};
      for (let n = 1; n <= 20; n++) {
        tags[`Tags.${n}.Key`] = `team.k_${n}-x`;
        tags[`Tags.${n}.Value`] = n === 1 ? '' : 'v'.repeat(128);
      }
      const p = pop(server.endpoint, server.rootKey);
      const a = (await p.request('CreateCertificateRequest', {
        Domain: 'tags-ok.example.test',
        ValidateType: 'DNS',
        Email: contact.email,
        Phone: contact.phone,
        Username: contact.username,
        ...tags,
      })) as { OrderId: number | string };
      assert.ok(Number(a.OrderId) > 0, JSON.stringify(a));
      const b = (await p.request('CreateCertificateWithCsrRequest', {
        Csr: makeCsr('tags-csr.example.test', 'ec').csr,
        ValidateType: 'DNS',
        Email: contact.email,
        Phone: contact.phone,
        Username: contact.username,
        'Tags.1.Key': 'cost centre ' + 'k'.repeat(116),
        'Tags.1.Value': 'ops',
        // Lengths count characters: 128 emoji are 256 UTF-16 units.
        'Tags.2.Key': '\u{1F511}'.repeat(128),
        'Tags.2.Value': '\u{1F511}'.repeat(128),
      })) as { OrderId: number | string };
      assert.ok(Number(b.OrderId) > 0, JSON.stringify(b));
      // The package call takes any key text, but not NUL, which no text parameter holds.
      await refused(
        client,
        () =>
          popFailure(
            p.request('CreateCertificateForPackageRequest', {
              Domain: 'tags-nul.example.test',
              Email: contact.email,
              Phone: contact.phone,
              Username: contact.username,
              'Tags.1.Key': 'a\u0000',
              'Tags.1.Value': 'v',
            }),
          ),
        'InvalidParameter',
        400,
        'Tags.1.Key',
      );
    });
  });

  describe('state rules (OrderStateError 403)', () => {
    it('an issued order cannot be deleted, cancelled, or renewed outside the renewal window', async () => {
      const orderId = (
        await client.createCertificateRequest(
          new Models.CreateCertificateRequestRequest({
            domain: 'issued.example.test',
            validateType: 'DNS',
            ...contact,
          }),
        )
      ).body!.orderId!;
      await waitForType(client, orderId, 'certificate');
      await settle(client);
      const opts = { issuedToo: true };
      await refused(
        client,
        () =>
          sdkFailure(
            client.deleteCertificateRequest(new Models.DeleteCertificateRequestRequest({ orderId })),
          ),
        'OrderStateError',
        403,
        undefined,
        opts,
      );
      await refused(
        client,
        () => sdkFailure(client.cancelOrderRequest(new Models.CancelOrderRequestRequest({ orderId }))),
        'OrderStateError',
        403,
        undefined,
        opts,
      );
      // A 90-day certificate issued just now is far from the default 30-day window (decisions.md 18).
      await refused(
        client,
        () =>
          sdkFailure(
            client.renewCertificateOrderForPackageRequest(
              new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
            ),
          ),
        'OrderStateError',
        403,
        undefined,
        opts,
      );
      assert.equal((await stateOf(client, orderId)).type, 'certificate');
      assert.equal((await listed(client, orderId, 'issued.example.test')).status, 'ISSUED');
    });

    describe('orders that stay in domain_verify (sandbox delay 600 s)', () => {
      let slow: TestServer;
      let c: CasClient;
      before(async () => {
        slow = await startTestServer({ flags: { validation: 'sandbox', sandboxDelayMs: '600000' } });
        c = sdk(slow.endpoint, slow.rootKey);
      });
      after(async () => {
        await slow.stop();
      });
      const create = async (domain: string) =>
        (
          await c.createCertificateRequest(
            new Models.CreateCertificateRequestRequest({ domain, validateType: 'DNS', ...contact }),
          )
        ).body!.orderId!;
      const opts = { codes: [FREE], issuedToo: true };

      it('DeleteCertificateRequest and RenewCertificateOrderForPackageRequest on domain_verify', async () => {
        const orderId = await create('verify.example.test');
        assert.equal((await stateOf(c, orderId)).type, 'domain_verify');
        await refused(
          c,
          () =>
            sdkFailure(c.deleteCertificateRequest(new Models.DeleteCertificateRequestRequest({ orderId }))),
          'OrderStateError',
          403,
          undefined,
          opts,
        );
        await refused(
          c,
          () =>
            sdkFailure(
              c.renewCertificateOrderForPackageRequest(
                new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
              ),
            ),
          'OrderStateError',
          403,
          undefined,
          opts,
        );
        assert.equal((await stateOf(c, orderId)).type, 'domain_verify');
      });

      it('CancelOrderRequest (and renewal) on a payed order', async () => {
        const orderId = await create('payed.example.test');
        await c.cancelOrderRequest(new Models.CancelOrderRequestRequest({ orderId }));
        assert.equal((await stateOf(c, orderId)).type, 'payed');
        await refused(
          c,
          () => sdkFailure(c.cancelOrderRequest(new Models.CancelOrderRequestRequest({ orderId }))),
          'OrderStateError',
          403,
          undefined,
          opts,
        );
        await refused(
          c,
          () =>
            sdkFailure(
              c.renewCertificateOrderForPackageRequest(
                new Models.RenewCertificateOrderForPackageRequestRequest({ orderId }),
              ),
            ),
          'OrderStateError',
          403,
          undefined,
          opts,
        );
        assert.equal((await stateOf(c, orderId)).type, 'payed');
      });
    });

    it('a cancelled order is never issued, even when validation would pass afterwards', async () => {
      const mid = await startTestServer({
        flags: { validation: 'sandbox', sandboxDelayMs: '1500', workerIntervalMs: '50' },
      });
      try {
        const c = sdk(mid.endpoint, mid.rootKey);
        const before = await snapshot(c, [FREE]);
        const orderId = (
          await c.createCertificateRequest(
            new Models.CreateCertificateRequestRequest({
              domain: 'cancel.example.test',
              validateType: 'DNS',
              ...contact,
            }),
          )
        ).body!.orderId!;
        await c.cancelOrderRequest(new Models.CancelOrderRequestRequest({ orderId }));
        await new Promise((r) => setTimeout(r, 3000));
        assert.equal((await stateOf(c, orderId)).type, 'payed');
        const now = await snapshot(c, [FREE]);
        assert.equal(now.issued[FREE], before.issued[FREE], 'IssuedCount must not move');
        assert.equal(now.used[FREE], before.used[FREE]! + 1, 'the cancelled order keeps its unit');
        const payed = (
          await c.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({ status: 'PAYED' }))
        ).body!;
        assert.deepEqual(
          payed.certificateOrderList!.map((o) => o.orderId),
          [orderId],
        );
        const certs = (
          await c.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({ orderType: 'CERT' }))
        ).body!;
        assert.equal(certs.totalCount, 0, 'no certificate was made');
      } finally {
        await mid.stop();
      }
    });
  });
});
