/**
 * The CSR repository (CreateCsr, UploadCsr, ListCsr, GetCsrDetail, UpdateCsr, DeleteCsr), contacts
 * (ListContact and the package call's default) and keys sealed at rest, through the official SDK and
 * pop-core against a real server. Fixtures are made here with openssl and node:crypto.
 */
import assert from 'node:assert/strict';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  webcrypto,
} from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { oid, sequence, TAG, tlv } from '../../src/pki/der.js';
import { x509 } from '../../src/pki/x509.js';
import { keyAs, newKey } from '../helpers/certs.js';
import { accountClient, contact, expectError, sdkError, type SdkError } from '../helpers/orders.js';
import { makeCsr, openssl } from '../helpers/pki.js';
import { Models, pop, sdk, startTestServer, type CasClient, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: CasClient;

const refused = expectError;

const spkiSha256 = (keyOrCsrKey: string) =>
  createHash('sha256')
    .update(createPublicKey(keyOrCsrKey).export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .toUpperCase();

/** The public key of a CSR, PEM (via openssl). */
const csrPublicKey = (csr: string) => openssl(['req', '-noout', '-pubkey'], csr);

async function listCsr(c: CasClient, req: Record<string, unknown> = {}) {
  return (await c.listCsr(new Models.ListCsrRequest(req))).body!;
}

async function csrDetail(c: CasClient, csrId: number) {
  return (await c.getCsrDetail(new Models.GetCsrDetailRequest({ csrId }))).body!;
}

const createReq = {
  algorithm: 'RSA',
  keySize: 2048,
  commonName: 'WWW.Csr.Example.Test.',
  sans: 'csr.example.test, WWW.CSR.example.test,api.csr.example.test,CSR.example.test',
  countryCode: 'cn',
  province: 'Zhejiang',
  locality: 'Hangzhou',
  corpName: 'Csr Ltd',
  department: 'Ops',
  name: 'web_csr-1.0',
};

before(async () => {
  server = await startTestServer({
    flags: { validation: 'sandbox', sandboxDelayMs: '0', workerIntervalMs: '50' },
  });
  client = sdk(server.endpoint, server.rootKey);
});
after(async () => {
  await server.stop();
});

describe('CreateCsr', () => {
  it('makes an RSA key and a CSR with lower-cased, de-duplicated names, the CN first', async () => {
    const r = (await client.createCsr(new Models.CreateCsrRequest(createReq))).body!;
    assert.ok(Number.isSafeInteger(r.csrId) && r.csrId! > 0);
    const text = openssl(['req', '-verify', '-noout', '-text'], r.csr);
    assert.match(
      text,
      /Subject: C = CN, ST = Zhejiang, L = Hangzhou, O = Csr Ltd, OU = Ops, CN = www\.csr\.example\.test/,
    );
    assert.match(text, /DNS:www\.csr\.example\.test, DNS:csr\.example\.test, DNS:api\.csr\.example\.test\n/);
    assert.match(text, /Public-Key: \(2048 bit\)/);
    const d = await csrDetail(client, r.csrId!);
    assert.equal(d.csr, r.csr);
    assert.match(d.privateKey!, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(spkiSha256(d.privateKey!), spkiSha256(csrPublicKey(r.csr!)));
    const listed = (await listCsr(client, { keyWord: 'www.csr.example' })).csrList!;
    assert.deepEqual(
      { ...listed[0] },
      {
        csrId: r.csrId,
        name: 'web_csr-1.0',
        algorithm: 'RSA',
        keySize: 2048,
        commonName: 'www.csr.example.test',
        sans: 'www.csr.example.test,csr.example.test,api.csr.example.test',
        countryCode: 'CN',
        province: 'Zhejiang',
        locality: 'Hangzhou',
        corpName: 'Csr Ltd',
        department: 'Ops',
        hasPrivateKey: true,
        keySha2: spkiSha256(d.privateKey!),
      },
    );
  });

  it('makes ECC keys of 256 and 384 bits (SEC1)', async () => {
    for (const keySize of [256, 384]) {
      const r = (
        await client.createCsr(
          new Models.CreateCsrRequest({ ...createReq, algorithm: 'ECC', keySize, name: undefined }),
        )
      ).body!;
      const d = await csrDetail(client, r.csrId!);
      assert.match(d.privateKey!, /^-----BEGIN EC PRIVATE KEY-----\n/);
      assert.match(
        openssl(['req', '-verify', '-noout', '-text'], r.csr),
        new RegExp(`Public-Key: \\(${keySize} bit\\)`),
      );
      const entry = (await listCsr(client)).csrList!.find((c) => c.csrId === r.csrId)!;
      assert.deepEqual([entry.algorithm, entry.keySize, entry.name], ['ECC', keySize, `csr-${r.csrId}`]);
    }
  });

  it('makes the key off the event loop: other calls are answered while an RSA-3072 key is made', async () => {
    const order: string[] = [];
    const create = client
      .createCsr(new Models.CreateCsrRequest({ ...createReq, keySize: 3072 }))
      .then(() => order.push('create'));
    await new Promise((r) => setTimeout(r, 20));
    const list = listCsr(client).then(() => order.push('list'));
    await Promise.all([create, list]);
    assert.deepEqual(order, ['list', 'create']);
  });

  it('refuses bad parameters, naming each, and creates nothing', async () => {
    const before = (await listCsr(client)).totalCount;
    const bad: Array<[Record<string, unknown>, string, string]> = [
      [{ algorithm: undefined }, 'MissingParameter', 'Algorithm'],
      [{ algorithm: 'SM2', keySize: 256 }, 'InvalidParameter', 'Algorithm'],
      [{ algorithm: 'DSA' }, 'InvalidParameter', 'Algorithm'],
      [{ keySize: undefined }, 'MissingParameter', 'KeySize'],
      [{ keySize: 1024 }, 'InvalidParameter', 'KeySize'],
      [{ algorithm: 'ECC', keySize: 521 }, 'InvalidParameter', 'KeySize'],
      [{ commonName: undefined }, 'MissingParameter', 'CommonName'],
      [{ commonName: `${'a'.repeat(60)}.example.test` }, 'InvalidParameter', 'CommonName'],
      [{ commonName: 'bad_name.example.test' }, 'InvalidParameter', 'CommonName'],
      [{ commonName: '192.0.2.1' }, 'InvalidParameter', 'CommonName'],
      [{ commonName: '::1' }, 'InvalidParameter', 'CommonName'],
      [{ commonName: 'http://x.csr.example.test/' }, 'InvalidParameter', 'CommonName'],
      [{ commonName: 'a.csr.example.test\u0000.evil.com' }, 'InvalidParameter', 'CommonName'],
      [{ locality: 'City\nTwo' }, 'InvalidParameter', 'Locality'],
      [{ corpName: 'Org\u0000X' }, 'InvalidParameter', 'CorpName'],
      [{ sans: 'ok.example.test,not a name' }, 'InvalidParameter', 'Sans'],
      [{ countryCode: 'CHN' }, 'InvalidParameter', 'CountryCode'],
      [{ countryCode: undefined }, 'MissingParameter', 'CountryCode'],
      [{ province: undefined }, 'MissingParameter', 'Province'],
      [{ locality: undefined }, 'MissingParameter', 'Locality'],
      [{ name: 'bad name!' }, 'InvalidParameter', 'Name'],
      [{ name: 'n'.repeat(51) }, 'InvalidParameter', 'Name'],
    ];
    for (const [change, code, param] of bad) {
      await refused(
        client.createCsr(new Models.CreateCsrRequest({ ...createReq, ...change })),
        code,
        400,
        param,
      );
    }
    assert.equal((await listCsr(client)).totalCount, before);
  });
});

/**
 * A CSR built with WebCrypto, for what openssl refuses to make (a CN over 64 characters, a control character
 * in a name): `subject` is the CN (UTF8String), or a whole name.
 */
async function webCsr(subject: string | x509.JsonNameParams, sans: string[]): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(typeof subject === 'string' ? [{ CN: [{ utf8String: subject }] }] : subject),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.SubjectAlternativeNameExtension(sans.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  return csr.toString('pem');
}

/**
 * A CSR whose subject fields use any ASN.1 string type (`[oid, tag, text]`), built DER by DER, for the types
 * neither openssl nor @peculiar/x509 writes (VisibleString is tag 0x1a). P-256 key, ECDSA with SHA-256.
 */
function rawCsr(fields: Array<[string, number, string]>): string {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = sequence(
    ...fields.map(([id, tag, text]) =>
      tlv(TAG.SET, sequence(oid(id), tlv(tag, Buffer.from(text, 'latin1')))),
    ),
  );
  const info = sequence(
    tlv(TAG.INTEGER, Buffer.from([0])),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa0),
  );
  const signature = sign('sha256', info, privateKey);
  const der = sequence(
    info,
    sequence(oid('1.2.840.10045.4.3.2')),
    tlv(TAG.BIT_STRING, Buffer.from([0]), signature),
  );
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE REQUEST-----\n`;
}
const VISIBLE_STRING = 0x1a;
const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';

describe('UploadCsr, GetCsrDetail, UpdateCsr, DeleteCsr', () => {
  it('reads a CN written as VisibleString as text (the x509 library leaves that type as hex)', async () => {
    const csr = rawCsr([[OID_CN, VISIBLE_STRING, 'Visible.Example.Test']]);
    const r = (await client.uploadCsr(new Models.UploadCsrRequest({ csr, name: 'visible' }))).body!;
    const e = (await listCsr(client)).csrList!.find((c) => c.csrId === r.csrId)!;
    assert.equal(e.commonName, 'visible.example.test');
  });

  it('lower-cases and de-duplicates names; a CN missing from the SANs is not added to them', async () => {
    const { csr } = makeCsr('Main.Example.TEST', 'ec', [
      'Other.Example.Test',
      'other.example.test',
      'THIRD.example.test',
    ]);
    const r = (await client.uploadCsr(new Models.UploadCsrRequest({ csr, name: 'mixed' }))).body!;
    const e = (await listCsr(client)).csrList!.find((c) => c.csrId === r.csrId)!;
    assert.deepEqual(
      [e.commonName, e.sans, e.hasPrivateKey],
      ['main.example.test', 'other.example.test,third.example.test', false],
    );
    assert.equal((await csrDetail(client, r.csrId!)).privateKey, undefined);
  });

  it('keeps a CN over 64 characters as it is (lower-cased): the rule is the same as for applications', async () => {
    const long = `${'Long'.repeat(8)}.${'Name'.repeat(8)}.Example.Test`;
    assert.ok(long.length > 64);
    const csr = await webCsr(long, [long]);
    const r = (await client.uploadCsr(new Models.UploadCsrRequest({ csr }))).body!;
    const e = (await listCsr(client)).csrList!.find((c) => c.csrId === r.csrId)!;
    assert.deepEqual([e.commonName, e.sans], [long.toLowerCase(), long.toLowerCase()]);
    const orderId = (
      await client.createCertificateWithCsrRequest(
        new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'DNS', ...contact }),
      )
    ).body!.orderId;
    assert.ok(orderId! > 0, 'an application takes the same CSR');
  });

  it('stores a matching key; refuses one that does not match, storing nothing', async () => {
    const { csr, key } = makeCsr('keyed.example.test', 'rsa:2048');
    const before = (await listCsr(client)).totalCount;
    await refused(
      client.uploadCsr(new Models.UploadCsrRequest({ csr, key: newKey('rsa') })),
      'InvalidParameter',
      400,
      'Key',
      /does not match/,
    );
    await refused(
      client.uploadCsr(new Models.UploadCsrRequest({ csr, key: keyAs(key, 'spki') })),
      'InvalidParameter',
      400,
      'Key',
      /public key/,
    );
    assert.equal((await listCsr(client)).totalCount, before);
    const r = (
      await client.uploadCsr(
        new Models.UploadCsrRequest({ csr, key: keyAs(key, 'pkcs1').replace(/\n/g, '\r\n') }),
      )
    ).body!;
    const d = await csrDetail(client, r.csrId!);
    assert.equal(d.privateKey, keyAs(key, 'pkcs1'));
  });

  it('UpdateCsr replaces the key with one that matches the CSR, and only then', async () => {
    const { csr, key } = makeCsr('update.example.test', 'ec');
    const csrId = (await client.uploadCsr(new Models.UploadCsrRequest({ csr }))).body!.csrId!;
    await refused(
      client.updateCsr(new Models.UpdateCsrRequest({ csrId, key: newKey('ec') })),
      'InvalidParameter',
      400,
      'Key',
      /does not match/,
    );
    const encrypted = createPrivateKey(key)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    await refused(
      client.updateCsr(new Models.UpdateCsrRequest({ csrId, key: encrypted })),
      'InvalidParameter',
      400,
      'Key',
      /encrypted/,
    );
    await refused(client.updateCsr(new Models.UpdateCsrRequest({ csrId })), 'MissingParameter', 400, 'Key');
    assert.equal((await csrDetail(client, csrId)).privateKey, undefined);
    await client.updateCsr(new Models.UpdateCsrRequest({ csrId, key: keyAs(key, 'sec1') }));
    assert.equal((await csrDetail(client, csrId)).privateKey, keyAs(key, 'sec1'));
    const e = (await listCsr(client)).csrList!.find((c) => c.csrId === csrId)!;
    assert.equal(e.hasPrivateKey, true);
    // A second replacement (PKCS#8 this time) works too.
    await client.updateCsr(new Models.UpdateCsrRequest({ csrId, key }));
    assert.equal((await csrDetail(client, csrId)).privateKey, key);
  });

  it('DeleteCsr removes the CSR and its key', async () => {
    const { csr, key } = makeCsr('delete.example.test', 'ec');
    const csrId = (await client.uploadCsr(new Models.UploadCsrRequest({ csr, key }))).body!.csrId!;
    await client.deleteCsr(new Models.DeleteCsrRequest({ csrId }));
    await refused(csrDetail(client, csrId), 'NotFoundCertificate', 404, undefined, /CsrId/);
    await refused(client.deleteCsr(new Models.DeleteCsrRequest({ csrId })), 'NotFoundCertificate', 404);
    await refused(client.updateCsr(new Models.UpdateCsrRequest({ csrId, key })), 'NotFoundCertificate', 404);
  });

  it('CsrId 0, -1 or abc is InvalidParameter (pop-core); another account sees NotFoundCertificate, as for an unknown id', async () => {
    const p = pop(server.endpoint, server.rootKey);
    for (const bad of ['0', '-1', 'abc', '7-cn-hangzhou']) {
      for (const action of ['GetCsrDetail', 'DeleteCsr', 'UpdateCsr']) {
        const e = (await sdkError(p.request(action, { CsrId: bad, Key: newKey('ec') }))) as SdkError;
        assert.equal(e.code, 'InvalidParameter', `${action} ${bad}`);
        assert.match(String(e.data?.Message), /"CsrId"/);
      }
    }
    const { csr, key } = makeCsr('mine.example.test', 'ec');
    const csrId = (await client.uploadCsr(new Models.UploadCsrRequest({ csr, key }))).body!.csrId!;
    const other = accountClient(server, 'csr-other');
    const answers: string[] = [];
    for (const id of [csrId, Number.MAX_SAFE_INTEGER]) {
      answers.push(
        (await refused(csrDetail(other, id), 'NotFoundCertificate', 404)).replace(String(id), 'ID'),
        (
          await refused(
            other.updateCsr(new Models.UpdateCsrRequest({ csrId: id, key })),
            'NotFoundCertificate',
            404,
          )
        ).replace(String(id), 'ID'),
        (
          await refused(
            other.deleteCsr(new Models.DeleteCsrRequest({ csrId: id })),
            'NotFoundCertificate',
            404,
          )
        ).replace(String(id), 'ID'),
      );
    }
    assert.deepEqual(answers.slice(0, 3), answers.slice(3));
    assert.equal((await listCsr(other)).totalCount, 0);
    assert.equal((await csrDetail(client, csrId)).privateKey, key);
  });
});

describe('UploadCsr refuses the CSRs the applications refuse (decisions.md 19)', () => {
  let c: CasClient;
  before(() => {
    c = accountClient(server, 'csr-rules');
  });
  const send = {
    UploadCsr: (csr: string) => c.uploadCsr(new Models.UploadCsrRequest({ csr })),
    CreateCertificateWithCsrRequest: (csr: string) =>
      c.createCertificateWithCsrRequest(
        new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'DNS', ...contact }),
      ),
    CreateCertificateForPackageRequest: (csr: string) =>
      c.createCertificateForPackageRequest(new Models.CreateCertificateForPackageRequestRequest({ csr })),
  };
  /** What a refused call must leave as it was: the CSRs, the orders and the units taken. */
  const written = async () => ({
    csrs: (await listCsr(c)).totalCount,
    orders: (await c.listUserCertificateOrder(new Models.ListUserCertificateOrderRequest({}))).body!
      .totalCount,
    used: (await c.describePackageState(new Models.DescribePackageStateRequest({}))).body!.usedCount,
  });
  const utf8 = (v: string) => [{ utf8String: v }];
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'a NUL in the CN',
      () => webCsr('a.nul.example.test\u0000.evil.com', []),
      /subject holds a control character \(U\+0000\) in CN/,
    ],
    [
      'a NUL in O',
      () => webCsr([{ O: utf8('Org\u0000X') }, { CN: utf8('o.nul.example.test') }], []),
      /subject holds a control character \(U\+0000\) in O;/,
    ],
    [
      'a line feed in L (CreateCsr refuses control characters in Locality too)',
      () => webCsr([{ L: utf8('City\nTwo') }, { CN: utf8('l.nul.example.test') }], []),
      /subject holds a control character \(U\+000A\) in L;/,
    ],
    [
      'a NUL in a DNS name of the subjectAltName',
      () => webCsr('san.nul.example.test', ['san.nul.example.test\u0000.evil.com']),
      /subjectAltName extension holds a control character \(U\+0000\)/,
    ],
    [
      'a NUL in O written as VisibleString',
      () =>
        Promise.resolve(
          rawCsr([
            [OID_O, VISIBLE_STRING, 'Evil\u0000Org'],
            [OID_CN, 0x0c, 'vis.nul.example.test'],
          ]),
        ),
      /subject holds a control character \(U\+0000\) in O;/,
    ],
    [
      'a NUL in a VisibleString CN',
      () => Promise.resolve(rawCsr([[OID_CN, VISIBLE_STRING, 'vis.nul.example.test\u0000.evil.com']])),
      /subject holds a control character \(U\+0000\) in CN/,
    ],
    ['an IPv6 address as the CN', () => webCsr('::1', []), /"::1" is an IP address/],
    ['an IPv4 address as the CN', () => webCsr('192.0.2.7', []), /is an IP address/],
    [
      'a URL as the CN',
      () => webCsr('http://x.csr.example.test/', []),
      /only letters, digits and '-' are allowed/,
    ],
    ['an underscore in the CN', () => webCsr('bad_name.example.test', []), /underscore/],
    ['a CN under a TLD outside the Public Suffix List', () => webCsr('host.corp.lan', []), /\.lan/],
    [
      'a label of 64 characters in the CN',
      () => webCsr(`${'a'.repeat(64)}.example.test`, []),
      /64 characters/,
    ],
  ];
  for (const [what, make, why] of cases) {
    it(`${what}: InvalidParameter naming Csr from UploadCsr and both applications, with one message; nothing written`, async () => {
      const csr = await make();
      const before = await written();
      const messages: string[] = [];
      for (const [action, call] of Object.entries(send)) {
        const m = await refused(call(csr), 'InvalidParameter', 400, 'Csr', why);
        messages.push(m);
        assert.deepEqual(await written(), before, `${action} wrote nothing`);
      }
      assert.deepEqual(messages, [messages[0], messages[0], messages[0]]);
    });
  }
});

describe('one PEM reader for every input', () => {
  const sendCsr = {
    UploadCsr: (csr: string) => client.uploadCsr(new Models.UploadCsrRequest({ csr })),
    CreateCertificateWithCsrRequest: (csr: string) =>
      client.createCertificateWithCsrRequest(
        new Models.CreateCertificateWithCsrRequestRequest({ csr, validateType: 'DNS', ...contact }),
      ),
  };

  it('accepts CRLF, a BOM, text around, blank lines and a one-line body in UploadCsr and in applications', async () => {
    const { csr } = makeCsr('pem-everywhere.example.test', 'ec');
    for (const messy of [
      `\uFEFFMy CSR:\r\n\r\n${csr.replace(/\n/g, ' \t\r\n')}\r\n\r\nthanks`,
      csr.replace(/\n/g, ''),
      csr.replace(/\n/g, ' '),
    ]) {
      for (const [action, send] of Object.entries(sendCsr)) {
        const r = (await send(messy)).body! as { csrId?: number; orderId?: number };
        assert.ok(r.csrId ?? r.orderId, action);
      }
    }
  });

  it('refuses UTF-16 and broken armour with the same message in UploadCsr and in applications', async () => {
    const { csr } = makeCsr('pem-bad.example.test', 'ec');
    for (const bad of [
      Buffer.from(`\uFEFF${csr}`, 'utf16le').toString('utf8'),
      csr.slice(0, 200),
      csr.replace(/\n[A-Za-z0-9+/]{8}/, '\n########'),
    ]) {
      const messages: string[] = [];
      for (const send of Object.values(sendCsr)) {
        messages.push(
          await refused(send(bad), 'InvalidParameter', 400, 'Csr', /UTF-16|PEM armour is broken/),
        );
      }
      assert.equal(messages[0], messages[1]);
    }
  });
});

describe('ListCsr', () => {
  it('pages, filters by Algorithm and KeyWord, and refuses out-of-range paging', async () => {
    const c = accountClient(server, 'csr-pager');
    for (let i = 0; i < 7; i++) {
      const { csr } = makeCsr(`p${i}.list.example.test`, i % 2 ? 'rsa:2048' : 'ec');
      await c.uploadCsr(new Models.UploadCsrRequest({ csr, name: `list-${i}` }));
    }
    const pages = [];
    for (const currentPage of [1, 2, 3]) pages.push(await listCsr(c, { showSize: 3, currentPage }));
    assert.deepEqual(
      pages.map((p) => [p.totalCount, p.csrList!.length]),
      [
        [7, 3],
        [7, 3],
        [7, 1],
      ],
    );
    assert.equal(new Set(pages.flatMap((p) => p.csrList!.map((x) => x.csrId))).size, 7);
    assert.equal((await listCsr(c, { algorithm: 'RSA' })).totalCount, 3);
    assert.equal((await listCsr(c, { algorithm: 'ECC' })).totalCount, 4);
    assert.deepEqual(
      (await listCsr(c, { keyWord: 'p5.list' })).csrList!.map((x) => x.name),
      ['list-5'],
    );
    const all = await listCsr(c);
    assert.deepEqual([all.showSize, all.currentPage], [50, 1]);
    assert.deepEqual((await listCsr(c, { currentPage: 9 })).csrList, []);
    for (const [req, param] of [
      [{ showSize: 0 }, 'ShowSize'],
      [{ showSize: 101 }, 'ShowSize'],
      [{ currentPage: 0 }, 'CurrentPage'],
      [{ algorithm: 'DSA' }, 'Algorithm'],
      [{ keyWord: 'list\u0000' }, 'KeyWord'],
    ] as const) {
      await refused(listCsr(c, req), 'InvalidParameter', 400, param);
    }
  });
});

describe('ListContact', () => {
  it('records the contacts of applications once each, most recently used first, and filters by Keyword', async () => {
    const c = accountClient(server, 'contacts');
    const apply = (who: { username?: string; email?: string; phone?: string }, domain: string) =>
      c.createCertificateForPackageRequest(
        new Models.CreateCertificateForPackageRequestRequest({ domain, validateType: 'DNS', ...who }),
      );
    const alice = { username: 'Alice', email: 'alice@example.test', phone: '13900000001' };
    const bob = { username: 'Bob', email: 'bob@corp.example.test', phone: '13900000002' };
    await apply(alice, 'a1.contacts.example.test');
    await apply(bob, 'b1.contacts.example.test');
    await apply(alice, 'a2.contacts.example.test');
    const list = (await c.listContact(new Models.ListContactRequest({}))).body!;
    assert.deepEqual([list.totalCount, list.currentPage, list.showSize], [2, 1, 20]);
    assert.deepEqual(
      list.contactList!.map((x) => ({ ...x })),
      [
        {
          contactId: list.contactList![0]!.contactId,
          name: 'Alice',
          email: alice.email,
          emailStatus: 0,
          mobile: alice.phone,
          mobileStatus: 0,
          webhooks: '[]',
        },
        {
          contactId: list.contactList![1]!.contactId,
          name: 'Bob',
          email: bob.email,
          emailStatus: 0,
          mobile: bob.phone,
          mobileStatus: 0,
          webhooks: '[]',
        },
      ],
    );
    const corp = (await c.listContact(new Models.ListContactRequest({ keyword: 'corp.example' }))).body!;
    assert.deepEqual([corp.keyword, corp.contactList!.map((x) => x.name)], ['corp.example', ['Bob']]);
    await refused(
      c.listContact(new Models.ListContactRequest({ showSize: 101 })),
      'InvalidParameter',
      400,
      'ShowSize',
    );
    await refused(
      c.listContact(new Models.ListContactRequest({ keyword: 'alice\u0000' })),
      'InvalidParameter',
      400,
      'Keyword',
      /NUL/,
    );

    // The package call fills what it is not given from the most recent contact (Alice now).
    await apply({ username: 'Carol' }, 'c1.contacts.example.test');
    const after = (await c.listContact(new Models.ListContactRequest({}))).body!.contactList!;
    assert.deepEqual(
      [after[0]!.name, after[0]!.email, after[0]!.mobile],
      ['Carol', alice.email, alice.phone],
    );
    assert.equal(after.length, 3);
    // Another account has its own contacts.
    assert.equal(
      (await client.listContact(new Models.ListContactRequest({ keyword: 'alice@' }))).body!.totalCount,
      0,
    );
  });
});

describe('keys at rest', () => {
  it('seals every private key in the database', async () => {
    const db = server.services.store.conn.db;
    const rows = [
      ...(await db.selectFrom('csrs').select('key_sealed').execute()),
      ...(await db.selectFrom('certificates').select('key_sealed').execute()),
    ]
      .map((r) => r.key_sealed)
      .filter((k): k is string => k !== null);
    assert.ok(rows.length > 3);
    for (const k of rows) {
      assert.match(k, /^v1:[A-Za-z0-9+/=]+$/);
      assert.ok(!k.includes('PRIVATE KEY'));
    }
  });
});
