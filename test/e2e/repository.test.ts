/**
 * The certificate repository through the official SDK (default ACS3 signing) and pop-core, against a real
 * server: uploads with every PEM oddity of issue 5, details, deletion, lists and paging, resource groups.
 * Every fixture is made here with openssl and node:crypto.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { x509 } from '../../src/pki/x509.js';
import {
  fingerprint,
  issue,
  keyAs,
  makeChain,
  makeRoot,
  newKey,
  serialHex,
  type Chain,
} from '../helpers/certs.js';
import {
  accountClient,
  contact,
  expectError,
  issuedCertificate,
  sdkError,
  waitForType,
  type SdkError,
} from '../helpers/orders.js';
import { openssl } from '../helpers/pki.js';
import { v1Params, v1Request } from '../helpers/raw.js';
import { Models, pop, sdk, startTestServer, type CasClient, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: CasClient;
let seq = 0;
/** A name no other test uses. */
const uniq = (prefix = 'cert') => `${prefix}-${++seq}`;

async function upload(c: CasClient, cert: string, key: string, name = uniq(), extra: object = {}) {
  const r = await c.uploadUserCertificate(
    new Models.UploadUserCertificateRequest({ name, cert, key, ...extra }),
  );
  return r.body!;
}

async function detail(c: CasClient, certId: number, certFilter?: boolean) {
  return (
    await c.getUserCertificateDetail(new Models.GetUserCertificateDetailRequest({ certId, certFilter }))
  ).body!;
}

async function listCerts(c: CasClient, req: Record<string, unknown> = {}) {
  return (
    await c.listUserCertificateOrder(
      new Models.ListUserCertificateOrderRequest({ orderType: 'UPLOAD', ...req }),
    )
  ).body!;
}

const refused = expectError;

/** Each PEM body line is at most 64 columns, every line ends in '\n', no '\r'. */
function assertNormalised(pem: string): void {
  assert.ok(!pem.includes('\r'), 'no CR');
  assert.ok(pem.endsWith('-----\n'), 'ends with a newline');
  for (const line of pem.split('\n')) assert.ok(line.length <= 64 || line.startsWith('-----'), line);
}

const blocks = (text: string) =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g) ?? [];

before(async () => {
  server = await startTestServer({
    flags: { validation: 'sandbox', sandboxDelayMs: '0', workerIntervalMs: '50' },
  });
  client = sdk(server.endpoint, server.rootKey);
});
after(async () => {
  await server.stop();
});

describe('UploadUserCertificate: bundles and chains', () => {
  let chain: Chain;
  before(() => {
    chain = makeChain('bundle.example.test');
  });

  it('takes a bundle with the root first and the leaf last, and stores the chain leaf first', async () => {
    const { root, inter, leaf } = chain;
    const up = await upload(client, root.cert + inter.cert + leaf.cert, leaf.key);
    assert.ok(Number.isSafeInteger(up.certId) && up.certId! > 0);
    assert.match(up.resourceId!, /^cas-upload-[0-9a-z]+$/);
    const d = await detail(client, up.certId!);
    assert.deepEqual(blocks(d.cert!), [leaf.cert, inter.cert, root.cert]);
    assert.deepEqual(
      d.certChain!.map((c) => [c.commonName, c.issuerCommonName]),
      [
        ['bundle.example.test', 'bundle.example.test Intermediate'],
        ['bundle.example.test Intermediate', 'bundle.example.test Root'],
        ['bundle.example.test Root', 'bundle.example.test Root'],
      ],
    );
  });

  it('finds the leaf in the middle of the bundle', async () => {
    const { root, inter, leaf } = chain;
    const d = await detail(
      client,
      (await upload(client, inter.cert + leaf.cert + root.cert, leaf.key)).certId!,
    );
    assert.deepEqual(blocks(d.cert!), [leaf.cert, inter.cert, root.cert]);
    assert.equal(d.fingerprint, fingerprint(leaf.cert, 'sha1'));
  });

  it('accepts a leaf whose issuer is missing and shows the chain as it is', async () => {
    const { root, leaf } = chain;
    const alone = await detail(client, (await upload(client, leaf.cert, leaf.key)).certId!);
    assert.deepEqual(
      alone.certChain!.map((c) => c.commonName),
      ['bundle.example.test'],
    );
    const gap = await detail(client, (await upload(client, root.cert + leaf.cert, leaf.key)).certId!);
    assert.deepEqual(blocks(gap.cert!), [leaf.cert, root.cert]);
    assert.deepEqual(
      gap.certChain!.map((c) => c.commonName),
      ['bundle.example.test', 'bundle.example.test Root'],
    );
  });
});

describe('UploadUserCertificate: PEM text as people send it', () => {
  let chain: Chain;
  let sha256: string;
  before(() => {
    chain = makeChain('pem.example.test', { leaf: 'rsa' });
    sha256 = fingerprint(chain.leaf.cert, 'sha256');
  });

  const variants: Array<[string, (pem: string) => string]> = [
    ['CRLF line endings', (p) => p.replace(/\n/g, '\r\n')],
    ['trailing spaces and tabs on every line', (p) => p.replace(/\n/g, ' \t \n')],
    [
      'mixed endings and no final newline',
      (p) =>
        p
          .trimEnd()
          .split('\n')
          .map((l, i) => l + (i % 3 === 0 ? '\r\n' : i % 3 === 1 ? '\n' : '\r'))
          .join('')
          .trimEnd(),
    ],
    ['a UTF-8 byte-order mark', (p) => `\uFEFF${p}`],
    ['a body that lost its line breaks (one line)', (p) => p.replace(/\n/g, '')],
    ['spaces in place of line breaks', (p) => p.replace(/\n/g, ' ')],
  ];
  for (const [what, change] of variants) {
    it(`accepts ${what}, returning '\\n' endings and 64-column bodies with the same fingerprint`, async () => {
      const { inter, leaf } = chain;
      const up = await upload(client, change(leaf.cert + inter.cert), change(leaf.key));
      const d = await detail(client, up.certId!);
      assert.equal(d.sha2, sha256);
      assert.equal(d.cert, leaf.cert + inter.cert);
      assertNormalised(d.cert!);
      assertNormalised(d.key!);
      assert.equal(
        createPublicKey(d.key!).export({ format: 'jwk' }).n,
        createPublicKey(leaf.key).export({ format: 'jwk' }).n,
      );
    });
  }

  it('accepts blank lines between the blocks', async () => {
    const { root, inter, leaf } = chain;
    const d = await detail(
      client,
      (
        await upload(
          client,
          `\n\n${leaf.cert}\n\n\n${inter.cert}\r\n\r\n${root.cert}\n\n`,
          `\n\n${leaf.key}\n\n`,
        )
      ).certId!,
    );
    assert.equal(d.sha2, sha256);
    assert.deepEqual(blocks(d.cert!), [leaf.cert, inter.cert, root.cert]);
  });

  it('ignores text before, between and after the blocks (bag attributes, a text dump)', async () => {
    const { inter, leaf } = chain;
    const dump = openssl(['x509', '-noout', '-text'], leaf.cert);
    const bag = 'Bag Attributes\n    localKeyID: 01 00 00 00\n    friendlyName: pem.example.test — café\n';
    const cert = `${bag}subject=CN = pem.example.test\nissuer=CN = Intermediate\n${dump}${leaf.cert}\nand now the chain:\n${inter.cert}-- end of file --\n`;
    const key = `${bag}Key Attributes: <No Attributes>\n${leaf.key}trailing words\n`;
    const d = await detail(client, (await upload(client, `\uFEFF${cert}`, key)).certId!);
    assert.equal(d.sha2, sha256);
    assert.equal(d.cert, leaf.cert + inter.cert);
  });

  it('refuses UTF-16 text as an encoding error, on Cert and on Key', async () => {
    const { leaf } = chain;
    // What a client that reads a UTF-16 file as UTF-8 (or Latin-1) sends.
    const utf16 = (t: string) => Buffer.from(`\uFEFF${t}`, 'utf16le').toString('utf8');
    const latin1 = (t: string) => Buffer.from(`\uFEFF${t}`, 'utf16le').toString('latin1');
    for (const [cert, key, param] of [
      [utf16(leaf.cert), leaf.key, 'Cert'],
      [latin1(leaf.cert), leaf.key, 'Cert'],
      [leaf.cert, utf16(leaf.key), 'Key'],
    ] as const) {
      await refused(upload(client, cert, key), 'InvalidParameter', 400, param, /UTF-16/);
    }
  });

  it('says the PEM armour is broken for a truncated block or a damaged body, never a generic error', async () => {
    const { leaf } = chain;
    await refused(
      upload(client, leaf.cert.slice(0, 300), leaf.key),
      'InvalidParameter',
      400,
      'Cert',
      /PEM armour is broken: BEGIN CERTIFICATE has no matching END/,
    );
    const damaged = leaf.cert.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    await refused(upload(client, damaged, leaf.key), 'InvalidParameter', 400, 'Cert', /PEM armour is broken/);
  });
});

describe('UploadUserCertificate: keys', () => {
  let rsa: Chain;
  let ec: Chain;
  before(() => {
    rsa = makeChain('rsa-keys.example.test', { leaf: 'rsa' });
    ec = makeChain('ec-keys.example.test', { leaf: 'ec' });
  });

  it('accepts PKCS#1, PKCS#8 and SEC1 keys, and an EC PARAMETERS block before a SEC1 key', async () => {
    const paramsThenSec1 = `${openssl(['ecparam', '-name', 'prime256v1'])}${keyAs(ec.leaf.key, 'sec1')}`;
    assert.match(paramsThenSec1, /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
    const cases: Array<[string, Chain, string, RegExp]> = [
      ['PKCS#1', rsa, keyAs(rsa.leaf.key, 'pkcs1'), /^-----BEGIN RSA PRIVATE KEY-----\n/],
      ['PKCS#8 RSA', rsa, rsa.leaf.key, /^-----BEGIN PRIVATE KEY-----\n/],
      ['PKCS#8 EC', ec, ec.leaf.key, /^-----BEGIN PRIVATE KEY-----\n/],
      ['SEC1', ec, keyAs(ec.leaf.key, 'sec1'), /^-----BEGIN EC PRIVATE KEY-----\n/],
      ['EC PARAMETERS + SEC1', ec, paramsThenSec1, /^-----BEGIN EC PRIVATE KEY-----\n/],
    ];
    for (const [what, chain, key, returned] of cases) {
      const d = await detail(client, (await upload(client, chain.leaf.cert, key)).certId!);
      assert.match(d.key!, returned, what);
      assert.equal(blocks(d.key!.replace(/(EC |RSA )?PRIVATE KEY/g, 'CERTIFICATE')).length, 1, what);
    }
  });

  it('reads the key type from the key itself, not from its label', async () => {
    const body = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '');
    const pkcs8UnderRsaLabel = `-----BEGIN RSA PRIVATE KEY-----${body(rsa.leaf.key)}-----END RSA PRIVATE KEY-----\n`;
    const sec1UnderPkcs8Label = `-----BEGIN PRIVATE KEY-----${body(keyAs(ec.leaf.key, 'sec1'))}-----END PRIVATE KEY-----\n`;
    const a = await detail(client, (await upload(client, rsa.leaf.cert, pkcs8UnderRsaLabel)).certId!);
    assert.match(a.key!, /^-----BEGIN PRIVATE KEY-----\n/);
    const b = await detail(client, (await upload(client, ec.leaf.cert, sec1UnderPkcs8Label)).certId!);
    assert.match(b.key!, /^-----BEGIN EC PRIVATE KEY-----\n/);
  });

  it('refuses an encrypted key (PKCS#8 or legacy DEK-Info), saying it is encrypted', async () => {
    const pkcs8 = createPrivateKey(rsa.leaf.key)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    const legacy = createPrivateKey(rsa.leaf.key)
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'secret' })
      .toString();
    assert.match(pkcs8, /ENCRYPTED PRIVATE KEY/);
    assert.match(legacy, /DEK-Info/);
    for (const key of [pkcs8, legacy]) {
      await refused(upload(client, rsa.leaf.cert, key), 'InvalidParameter', 400, 'Key', /encrypted/);
    }
  });

  it('refuses a public key in Key as not a private key', async () => {
    await refused(
      upload(client, rsa.leaf.cert, keyAs(rsa.leaf.key, 'spki')),
      'InvalidParameter',
      400,
      'Key',
      /not a readable PEM private key \(it holds a public key\)/,
    );
  });

  it('refuses a key that does not match (RSA and EC), then takes a correct upload in the same process', async () => {
    const before = (await listCerts(client)).totalCount!;
    const name = uniq('mismatch');
    // Another key of the same type, and (both ways) a key of the other type.
    for (const [cert, key] of [
      [rsa.leaf.cert, newKey('rsa')],
      [ec.leaf.cert, newKey('ec')],
      [rsa.leaf.cert, ec.leaf.key],
      [ec.leaf.cert, rsa.leaf.key],
    ] as const) {
      await refused(upload(client, cert, key, name), 'InvalidParameter', 400, 'Key', /does not match/);
    }
    assert.equal((await listCerts(client)).totalCount, before, 'nothing stored');
    // The name was not taken by the refused uploads.
    const ok = await upload(client, ec.leaf.cert, ec.leaf.key, name);
    assert.equal((await detail(client, ok.certId!)).name, name);
  });

  it('refuses a missing Cert or Key, and a certificate or CSR where the other belongs', async () => {
    const name = uniq();
    await refused(
      client.uploadUserCertificate(new Models.UploadUserCertificateRequest({ name, cert: rsa.leaf.cert })),
      'MissingParameter',
      400,
      'Key',
    );
    await refused(
      client.uploadUserCertificate(new Models.UploadUserCertificateRequest({ name, key: rsa.leaf.key })),
      'MissingParameter',
      400,
      'Cert',
    );
    await refused(upload(client, rsa.leaf.key, rsa.leaf.key), 'InvalidParameter', 400, 'Cert', /private key/);
    await refused(
      upload(client, rsa.leaf.cert, rsa.leaf.cert),
      'InvalidParameter',
      400,
      'Key',
      /certificate/,
    );
    await refused(
      client.uploadUserCertificate(
        new Models.UploadUserCertificateRequest({
          name,
          signCert: rsa.leaf.cert,
          signPrivateKey: rsa.leaf.key,
        }),
      ),
      'InvalidParameter',
      400,
      'SignCert',
      /SM/,
    );
  });
});

describe('UploadUserCertificate: algorithms and dates', () => {
  it('accepts EC P-256 and P-384 certificates and an RSA leaf under an EC intermediate', async () => {
    for (const [kinds, algorithm] of [
      [{ leaf: 'ec' }, 'ECC'],
      [{ leaf: 'ec384' }, 'ECC'],
      [{ root: 'ec', inter: 'ec', leaf: 'rsa' }, 'RSA'],
      [{ root: 'rsa', inter: 'rsa', leaf: 'ec384' }, 'ECC'],
    ] as const) {
      const c = makeChain('algo.example.test', kinds);
      const d = await detail(client, (await upload(client, c.leaf.cert + c.inter.cert, c.leaf.key)).certId!);
      assert.equal(d.algorithm, algorithm, JSON.stringify(kinds));
    }
  });

  it('refuses an Ed25519 certificate as an unsupported key algorithm, without harm', async () => {
    const root = makeRoot('Ed Root', 'ed25519');
    const leaf = issue(root, 'ed.example.test', { kind: 'ed25519' });
    await refused(
      upload(client, leaf.cert, leaf.key),
      'InvalidParameter',
      400,
      'Key',
      /unsupported key algorithm Ed25519/,
    );
    // An Ed25519 issuer in the bundle of an EC leaf is fine: only the leaf's key matters.
    const ecLeaf = issue(root, 'under-ed.example.test', { kind: 'ec', sans: ['under-ed.example.test'] });
    const d = await detail(client, (await upload(client, ecLeaf.cert + root.cert, ecLeaf.key)).certId!);
    assert.equal(d.algorithm, 'ECC');
    assert.equal(d.certChain![1]!.commonName, 'Ed Root');
  });

  it('accepts an expired certificate and lists it as EXPIRED only', async () => {
    const chain = makeChain(
      'expired.example.test',
      {},
      { startDate: '20200101000000Z', endDate: '20210101000000Z' },
    );
    const name = uniq('expired');
    const up = await upload(client, chain.leaf.cert, chain.leaf.key, name);
    const d = await detail(client, up.certId!);
    assert.equal(d.expired, true);
    assert.deepEqual([d.startDate, d.endDate], ['2020-01-01', '2021-01-01']);
    assert.deepEqual([d.notBefore, d.notAfter], [Date.UTC(2020, 0, 1), Date.UTC(2021, 0, 1)]);
    assert.equal(d.certChain![0]!.remainDay, 0);
    const valid = await listCerts(client, { keyword: name });
    assert.equal(valid.totalCount, 0, 'the default list shows valid certificates only');
    const expired = await listCerts(client, { keyword: name, status: 'EXPIRED' });
    assert.equal(expired.totalCount, 1);
    assert.equal(expired.certificateOrderList![0]!.expired, true);
  });

  it('accepts a certificate that is not yet valid, with its real dates', async () => {
    const chain = makeChain(
      'future.example.test',
      {},
      { startDate: '20400101000000Z', endDate: '20410101000000Z' },
    );
    const d = await detail(client, (await upload(client, chain.leaf.cert, chain.leaf.key)).certId!);
    assert.deepEqual([d.notBefore, d.notAfter], [Date.UTC(2040, 0, 1), Date.UTC(2041, 0, 1)]);
    assert.deepEqual([d.startDate, d.endDate, d.expired], ['2040-01-01', '2041-01-01', false]);
  });
});

describe('UploadUserCertificate: names', () => {
  it('refuses a name already used with NameRepeat; the same certificate under a new name is a new CertId', async () => {
    const c = makeChain('names.example.test');
    const name = uniq('dup');
    const first = await upload(client, c.leaf.cert, c.leaf.key, name);
    const before = (await listCerts(client)).totalCount!;
    await refused(upload(client, c.leaf.cert, c.leaf.key, name), 'NameRepeat', 400, 'Name');
    // NameRepeat is not a format error: a bad certificate under a used name is a format error first.
    await refused(upload(client, 'not a certificate', c.leaf.key, name), 'InvalidParameter', 400, 'Cert');
    assert.equal((await listCerts(client)).totalCount, before);
    const second = await upload(client, c.leaf.cert, c.leaf.key, uniq('dup'));
    assert.notEqual(second.certId, first.certId);
    assert.equal((await detail(client, second.certId!)).sha2, (await detail(client, first.certId!)).sha2);
  });

  it('requires a Name of at most 64 characters', async () => {
    const c = makeChain('name-rules.example.test');
    await refused(
      client.uploadUserCertificate(
        new Models.UploadUserCertificateRequest({ cert: c.leaf.cert, key: c.leaf.key }),
      ),
      'MissingParameter',
      400,
      'Name',
    );
    await refused(upload(client, c.leaf.cert, c.leaf.key, 'x'.repeat(65)), 'InvalidParameter', 400, 'Name');
    await upload(client, c.leaf.cert, c.leaf.key, `${'y'.repeat(60)}${++seq}`.slice(0, 64));
    for (const blank of ['   ', '\u00a0\u3000 ']) {
      await refused(upload(client, c.leaf.cert, c.leaf.key, blank), 'InvalidParameter', 400, 'Name', /blank/);
    }
  });

  it('counts a Unicode Name in characters, and returns it as it was given', async () => {
    const c = makeChain('unicode-name.example.test');
    // 64 astral characters are 128 UTF-16 units, and 64 characters.
    const emoji = `${'\u{1F510}'.repeat(63)}${String.fromCodePoint(0x1f600 + (++seq % 64))}`;
    const cjk = `证书-テスト-café-${++seq}`;
    for (const name of [emoji, cjk]) {
      const up = await upload(client, c.leaf.cert, c.leaf.key, name);
      assert.equal((await detail(client, up.certId!)).name, name);
      assert.deepEqual(
        (await listCerts(client, { keyword: name })).certificateOrderList!.map((x) => x.certificateId),
        [up.certId],
      );
    }
    await refused(
      upload(client, c.leaf.cert, c.leaf.key, '\u{1F510}'.repeat(65)),
      'InvalidParameter',
      400,
      'Name',
      /longer than 64/,
    );
  });
});

interface WebCert {
  cert: string;
  key: string;
  name: x509.Name;
  keys: webcrypto.CryptoKeyPair;
}

/**
 * A P-256 certificate made with @peculiar/x509, for names openssl will not write (a NUL in a field):
 * self-signed, or signed by `issuer`. Valid from yesterday for 30 days.
 */
async function webCert(
  subject: x509.JsonNameParams,
  opts: { issuer?: WebCert; sans?: string[] } = {},
): Promise<WebCert> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const name = new x509.Name(subject);
  const common = {
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: opts.sans
      ? [
          new x509.SubjectAlternativeNameExtension(
            opts.sans.map((value) => ({ type: 'dns' as const, value })),
          ),
        ]
      : [],
  };
  const cert = opts.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: name,
        issuer: opts.issuer.name,
        publicKey: keys.publicKey,
        signingKey: opts.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name, keys });
  const key = createPrivateKey({
    key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    format: 'der',
    type: 'pkcs8',
  })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return { cert: cert.toString('pem'), key, name, keys };
}

describe("UploadUserCertificate: control characters in the certificate's names", () => {
  const utf8 = (v: string) => [{ utf8String: v }];
  const cases: Array<[string, () => Promise<{ cert: string; key: string }>, RegExp]> = [
    [
      'a NUL in the subject CN',
      () => webCert([{ CN: utf8('a.ctl.example.test\u0000.evil.com') }]),
      /certificate 1 of the text: its subject holds a control character \(U\+0000\) in CN;/,
    ],
    [
      'a NUL in the subject O',
      () => webCert([{ O: utf8('Org\u0000X') }, { CN: utf8('o.ctl.example.test') }]),
      /its subject holds a control character \(U\+0000\) in O;/,
    ],
    [
      'a NUL at the end of the subject L',
      () => webCert([{ L: utf8('City\u0000') }, { CN: utf8('l.ctl.example.test') }]),
      /its subject holds a control character \(U\+0000\) in L;/,
    ],
    [
      'a tab in the subject OU (control characters, as CreateCsr refuses them)',
      () => webCert([{ OU: utf8('Ops\tTeam') }, { CN: utf8('ou.ctl.example.test') }]),
      /its subject holds a control character \(U\+0009\) in OU;/,
    ],
    [
      'a NUL in a DNS name of the subjectAltName',
      () =>
        webCert([{ CN: utf8('san.ctl.example.test') }], {
          sans: ['san.ctl.example.test', 'x.ctl.example.test\u0000.evil.com'],
        }),
      /subjectAltName extension holds a control character \(U\+0000\)/,
    ],
    [
      "a NUL in the issuer's CN",
      async () => {
        const root = await webCert([{ CN: utf8('Evil\u0000 Root') }]);
        return webCert([{ CN: utf8('issued.ctl.example.test') }], { issuer: root });
      },
      /certificate 1 of the text: its issuer holds a control character \(U\+0000\) in CN;/,
    ],
    [
      'a NUL in another certificate of the bundle',
      async () => {
        const leaf = await webCert([{ CN: utf8('clean.ctl.example.test') }]);
        const stray = await webCert([{ CN: utf8('stray\u0000.ctl.example.test') }]);
        return { cert: leaf.cert + stray.cert, key: leaf.key };
      },
      /certificate 2 of the text: its subject holds a control character \(U\+0000\) in CN;/,
    ],
  ];
  for (const [what, make, why] of cases) {
    it(`refuses ${what} as InvalidParameter naming Cert, storing nothing`, async () => {
      const { cert, key } = await make();
      const before = (await listCerts(client)).totalCount;
      await refused(upload(client, cert, key), 'InvalidParameter', 400, 'Cert', why);
      assert.equal((await listCerts(client)).totalCount, before);
    });
  }

  it('takes the same kind of certificate with clean names, and shows them', async () => {
    const root = await webCert([{ O: utf8('Clean Org') }, { CN: utf8('Clean Root') }]);
    const leaf = await webCert(
      [
        { L: utf8('City') },
        { O: utf8('Org X') },
        { OU: utf8('Ops Team') },
        { CN: utf8('ok.ctl.example.test') },
      ],
      { issuer: root, sans: ['ok.ctl.example.test'] },
    );
    const d = await detail(client, (await upload(client, leaf.cert + root.cert, leaf.key)).certId!);
    assert.deepEqual(
      [d.common, d.issuer, d.orgName, d.city, d.sans],
      ['ok.ctl.example.test', 'Clean Root', 'Org X', 'City', 'ok.ctl.example.test'],
    );
    assert.deepEqual(
      d.certChain!.map((c) => c.commonName),
      ['ok.ctl.example.test', 'Clean Root'],
    );
  });
});

describe('GetUserCertificateDetail', () => {
  it('computes every field from the certificate', async () => {
    const root = makeRoot('Detail Root', 'rsa');
    const inter = issue(root, 'Detail Intermediate', { kind: 'rsa', ca: true });
    const leaf = issue(inter, 'www.detail.example.test', {
      kind: 'rsa',
      sans: ['www.detail.example.test', 'detail.example.test'],
      subject: '/C=CN/ST=Zhejiang/L=Hangzhou/O=Detail Ltd/CN=www.detail.example.test',
    });
    const name = uniq('detail');
    const up = await upload(client, leaf.cert + inter.cert + root.cert, leaf.key, name);
    const d = await detail(client, up.certId!);
    const notAfter = Date.parse(openssl(['x509', '-noout', '-enddate'], leaf.cert).split('=')[1]!);
    const notBefore = Date.parse(openssl(['x509', '-noout', '-startdate'], leaf.cert).split('=')[1]!);
    assert.deepEqual(
      {
        id: d.id,
        name: d.name,
        instanceId: d.instanceId,
        certIdentifier: d.certIdentifier,
        common: d.common,
        sans: d.sans,
        issuer: d.issuer,
        algorithm: d.algorithm,
        orgName: d.orgName,
        country: d.country,
        province: d.province,
        city: d.city,
        notBefore: d.notBefore,
        notAfter: d.notAfter,
        startDate: d.startDate,
        endDate: d.endDate,
        expired: d.expired,
        buyInAliyun: d.buyInAliyun,
        fingerprint: d.fingerprint,
        sha2: d.sha2,
        serialNo: d.serialNo,
        orderId: d.orderId,
      },
      {
        id: up.certId,
        name,
        instanceId: up.resourceId,
        certIdentifier: `${up.certId}-cn-hangzhou`,
        common: 'www.detail.example.test',
        sans: 'www.detail.example.test,detail.example.test',
        issuer: 'Detail Intermediate',
        algorithm: 'RSA',
        orgName: 'Detail Ltd',
        country: 'CN',
        province: 'Zhejiang',
        city: 'Hangzhou',
        notBefore,
        notAfter,
        startDate: new Date(notBefore).toISOString().slice(0, 10),
        endDate: new Date(notAfter).toISOString().slice(0, 10),
        expired: false,
        buyInAliyun: false,
        fingerprint: fingerprint(leaf.cert, 'sha1'),
        sha2: fingerprint(leaf.cert, 'sha256'),
        serialNo: serialHex(leaf.cert),
        orderId: undefined,
      },
    );
    assert.equal(d.certChain!.length, 3);
    const days = Math.floor((notAfter - Date.now()) / 86_400_000);
    assert.ok(Math.abs(d.certChain![0]!.remainDay! - days) <= 1, `${d.certChain![0]!.remainDay} vs ${days}`);
    assert.equal(d.certChain![0]!.notAfter, notAfter);
    assert.equal(d.key, leaf.key);

    const filtered = await detail(client, up.certId!, true);
    assert.equal(filtered.cert, undefined);
    assert.equal(filtered.key, undefined);
    assert.equal(filtered.sha2, d.sha2);
    assert.equal(filtered.certChain!.length, 3);

    // The list row (api.md 4.10, "C" fields) shows the same values under its own names.
    const row = (await listCerts(client, { keyword: name })).certificateOrderList!;
    assert.equal(row.length, 1);
    const shown = Object.entries({ ...row[0]! }).filter(([, v]) => v !== undefined);
    assert.deepEqual(Object.fromEntries(shown), {
      certificateId: d.id,
      name,
      instanceId: d.instanceId,
      commonName: d.common,
      sans: d.sans,
      issuer: d.issuer,
      orgName: d.orgName,
      country: d.country,
      province: d.province,
      city: d.city,
      startDate: d.startDate,
      endDate: d.endDate,
      expired: false,
      upload: true,
      fingerprint: d.fingerprint,
      sha2: d.sha2,
      serialNo: d.serialNo,
    });
  });

  it('shows an issued certificate with its OrderId, BuyInAliyun and key', async () => {
    const { orderId, state, certId } = await issuedCertificate(client, 'issued.repo.example.test');
    const d = await detail(client, certId);
    assert.equal(d.orderId, orderId);
    assert.equal(d.buyInAliyun, true);
    assert.equal(d.cert, state.certificate);
    assert.equal(d.key, state.privateKey);
    assert.match(d.instanceId!, /^cas-cert-/);
  });

  it('CertId 0, -1, abc or 1001-cn-hangzhou is InvalidParameter (pop-core); unknown and foreign ids NotFoundCertificate', async () => {
    const p = pop(server.endpoint, server.rootKey);
    for (const bad of ['0', '-1', 'abc', '1001-cn-hangzhou', '1.5', '99999999999999999999']) {
      for (const action of ['GetUserCertificateDetail', 'DeleteUserCertificate']) {
        const e = (await sdkError(p.request(action, { CertId: bad }))) as SdkError & {
          entry?: { response?: { statusCode?: number } };
        };
        assert.equal(e.code, 'InvalidParameter', `${action} ${bad}: ${e.message}`);
        assert.equal(e.entry?.response?.statusCode, 400);
        assert.match(String(e.data?.Message), /"CertId"/);
      }
    }
    const c = makeChain('foreign.example.test');
    const mine = (await upload(client, c.leaf.cert, c.leaf.key)).certId!;
    const other = accountClient(server, 'repo-other');
    const unknown = Number.MAX_SAFE_INTEGER;
    const messages: string[] = [];
    for (const certId of [mine, unknown]) {
      for (const call of [
        () => other.getUserCertificateDetail(new Models.GetUserCertificateDetailRequest({ certId })),
        () => other.deleteUserCertificate(new Models.DeleteUserCertificateRequest({ certId })),
      ]) {
        messages.push(
          (await refused(call(), 'NotFoundCertificate', 404, undefined, /CertId/)).replace(
            String(certId),
            'ID',
          ),
        );
      }
    }
    // Another account's id answers exactly like one that does not exist.
    assert.deepEqual(messages.slice(0, 2), messages.slice(2));
    // ... and the owner still has it.
    assert.equal((await detail(client, mine)).id, mine);
  });
});

describe('DeleteUserCertificate', () => {
  it('deletes an uploaded certificate at any time; its name can be used again', async () => {
    const c = makeChain('delete.example.test');
    const name = uniq('del');
    const up = await upload(client, c.leaf.cert, c.leaf.key, name);
    await client.deleteUserCertificate(new Models.DeleteUserCertificateRequest({ certId: up.certId }));
    await refused(detail(client, up.certId!), 'NotFoundCertificate', 404);
    await refused(
      client.deleteUserCertificate(new Models.DeleteUserCertificateRequest({ certId: up.certId })),
      'NotFoundCertificate',
      404,
    );
    assert.equal((await listCerts(client, { keyword: name })).totalCount, 0);
    const again = await upload(client, c.leaf.cert, c.leaf.key, name);
    assert.notEqual(again.certId, up.certId);
  });

  it('deletes an issued certificate only once it is revoked (OrderStateError before)', async () => {
    const { orderId, certId } = await issuedCertificate(client, 'del-issued.example.test');
    await refused(
      client.deleteUserCertificate(new Models.DeleteUserCertificateRequest({ certId })),
      'OrderStateError',
      403,
      undefined,
      /revoke it first/,
    );
    await client.cancelCertificateForPackageRequest(
      new Models.CancelCertificateForPackageRequestRequest({ orderId }),
    );
    await client.deleteUserCertificate(new Models.DeleteUserCertificateRequest({ certId }));
    await refused(detail(client, certId), 'NotFoundCertificate', 404);
    // The order keeps its record.
    const state = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    assert.equal(state.type, 'certificate');
  });
});

describe('ListUserCertificateOrder for CERT and UPLOAD', () => {
  let pager: CasClient;
  const ids: number[] = [];
  before(async () => {
    pager = accountClient(server, 'repo-pager');
    const c = makeChain('paging.example.test');
    for (let i = 0; i < 45; i++)
      ids.push((await upload(pager, c.leaf.cert, c.leaf.key, `page-${i}`)).certId!);
  });

  it('pages 45 uploads 20 at a time as 20, 20 and 5, without duplicates, newest first', async () => {
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const currentPage of [1, 2, 3]) {
      const b = await listCerts(pager, { showSize: 20, currentPage });
      assert.deepEqual([b.totalCount, b.currentPage, b.showSize], [45, currentPage, 20]);
      sizes.push(b.certificateOrderList!.length);
      seen.push(...b.certificateOrderList!.map((c) => c.certificateId!));
    }
    assert.deepEqual(sizes, [20, 20, 5]);
    assert.equal(new Set(seen).size, 45);
    assert.deepEqual(new Set(seen), new Set(ids));
    assert.equal(seen[0], ids[44], 'newest first');
    // CERT lists the same uploads (this account has no issued certificate).
    assert.equal((await listCerts(pager, { orderType: 'CERT' })).totalCount, 45);
  });

  it('a page past the end is empty with the right TotalCount; the default size is 50', async () => {
    const past = await listCerts(pager, { showSize: 20, currentPage: 4 });
    assert.deepEqual([past.totalCount, past.certificateOrderList], [45, []]);
    const all = await listCerts(pager);
    assert.deepEqual([all.showSize, all.currentPage, all.certificateOrderList!.length], [50, 1, 45]);
  });

  it('CurrentPage 0 or -1 and ShowSize 0 or 101 are InvalidParameter naming them', async () => {
    for (const [req, param] of [
      [{ currentPage: 0 }, 'CurrentPage'],
      [{ currentPage: -1 }, 'CurrentPage'],
      [{ showSize: 0 }, 'ShowSize'],
      [{ showSize: 101 }, 'ShowSize'],
    ] as const) {
      await refused(listCerts(pager, req), 'InvalidParameter', 400, param);
    }
  });

  it('filters by Keyword on the name and by Status', async () => {
    const b = await listCerts(pager, { keyword: 'page-4' });
    assert.deepEqual(b.certificateOrderList!.map((c) => c.name).sort(), [
      'page-4',
      'page-40',
      'page-41',
      'page-42',
      'page-43',
      'page-44',
    ]);
    const entry = b.certificateOrderList![0]!;
    assert.equal(entry.upload, true);
    assert.equal(entry.commonName, 'paging.example.test');
    assert.match(entry.instanceId!, /^cas-upload-/);
    assert.equal((await listCerts(pager, { status: 'EXPIRED' })).totalCount, 0);
    assert.equal((await listCerts(pager, { status: 'ISSUED' })).totalCount, 45);
    await refused(listCerts(pager, { status: 'PAYED' }), 'InvalidParameter', 400, 'Status');
  });

  it('refuses a Keyword holding a NUL character as InvalidParameter (PostgreSQL refuses NUL in text)', async () => {
    for (const orderType of ['CERT', 'UPLOAD', 'CPACK']) {
      await refused(
        listCerts(pager, { orderType, keyword: 'page\u0000' }),
        'InvalidParameter',
        400,
        'Keyword',
        /NUL/,
      );
    }
  });

  it('matches Keyword against the InstanceId (any case), the CertIdentifier and any part of the CertId', async () => {
    const id = ids[7]!;
    const instanceId = (await detail(pager, id)).instanceId!;
    const found = async (keyword: string, orderType = 'UPLOAD') =>
      (await listCerts(pager, { keyword, orderType })).certificateOrderList!.map((c) => c.certificateId);
    for (const keyword of [instanceId, instanceId.toUpperCase(), `${id}-cn-hangzhou`, String(id)]) {
      assert.deepEqual(await found(keyword), [id], keyword);
      assert.deepEqual(await found(keyword, 'CERT'), [id], `CERT ${keyword}`);
    }
    assert.ok((await found(String(id).slice(3, 12))).includes(id), 'a part of the CertId');
    // An upload's id under the issued prefix, or another region's identifier, names nothing here.
    assert.deepEqual(await found(instanceId.replace('cas-upload-', 'cas-cert-'), 'CERT'), []);
    assert.deepEqual(await found(`${id}-ap-southeast-1`), []);
    assert.deepEqual(await found(`${instanceId}x`), []);
  });

  it("matches an order's InstanceId to the certificate issued for it in CERT", async () => {
    const { orderId, certId } = await issuedCertificate(client, 'kw-order.repo.example.test');
    const order = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ keyword: 'kw-order.repo.example.test' }),
      )
    ).body!.certificateOrderList!;
    assert.deepEqual(
      order.map((o) => o.orderId),
      [orderId],
    );
    const certs = await listCerts(client, { orderType: 'CERT', keyword: order[0]!.instanceId });
    assert.deepEqual(
      certs.certificateOrderList!.map((c) => [c.certificateId, c.upload]),
      [[certId, false]],
    );
    const issuedInstanceId = (await detail(client, certId)).instanceId!;
    assert.match(issuedInstanceId, /^cas-cert-/);
    assert.deepEqual(
      (await listCerts(client, { orderType: 'CERT', keyword: issuedInstanceId })).certificateOrderList!.map(
        (c) => c.certificateId,
      ),
      [certId],
    );
    assert.equal((await listCerts(client, { keyword: issuedInstanceId })).totalCount, 0, 'UPLOAD only');
  });
});

describe('resource groups', () => {
  it('labels uploads at upload time and with MoveResourceGroup, and filters every list by ResourceGroupId', async () => {
    const c = makeChain('rg.example.test');
    const a = await upload(client, c.leaf.cert, c.leaf.key, uniq('rg'), { resourceGroupId: 'rg-aek2test01' });
    const b = await upload(client, c.leaf.cert, c.leaf.key, uniq('rg'));
    const inGroup = async (resourceGroupId: string, orderType = 'UPLOAD') =>
      (
        await client.listUserCertificateOrder(
          new Models.ListUserCertificateOrderRequest({ orderType, resourceGroupId }),
        )
      ).body!.certificateOrderList!.map((x) => x.certificateId ?? x.orderId);
    assert.deepEqual(await inGroup('rg-aek2test01'), [a.certId]);
    assert.equal((await detail(client, a.certId!)).resourceGroupId, 'rg-aek2test01');

    await client.moveResourceGroup(
      new Models.MoveResourceGroupRequest({
        resourceId: b.resourceId,
        resourceGroupId: 'rg-aek2test01',
        resourceType: 'Certificate',
        regionId: 'cn-hangzhou',
      }),
    );
    assert.deepEqual((await inGroup('rg-aek2test01')).sort(), [a.certId, b.certId].sort());
    assert.deepEqual((await inGroup('rg-aek2test01', 'CERT')).sort(), [a.certId, b.certId].sort());
    // A bare CertId works too, and moves it on.
    await client.moveResourceGroup(
      new Models.MoveResourceGroupRequest({
        resourceId: String(a.certId),
        resourceGroupId: 'rg-other',
        resourceType: 'Certificate',
      }),
    );
    assert.deepEqual(await inGroup('rg-aek2test01'), [b.certId]);
    assert.deepEqual(await inGroup('rg-other'), [a.certId]);
  });

  it('labels orders (ResourceType instance) and filters CPACK by ResourceGroupId', async () => {
    const orderId = (
      await client.createCertificateRequest(
        new Models.CreateCertificateRequestRequest({
          domain: 'rg-order.example.test',
          validateType: 'DNS',
          ...contact,
        }),
      )
    ).body!.orderId!;
    const listed = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ keyword: 'rg-order.example.test' }),
      )
    ).body!.certificateOrderList![0]!;
    await client.moveResourceGroup(
      new Models.MoveResourceGroupRequest({
        resourceId: listed.instanceId,
        resourceGroupId: 'rg-orders',
        resourceType: 'instance',
      }),
    );
    const grouped = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ resourceGroupId: 'rg-orders' }),
      )
    ).body!;
    assert.deepEqual(
      [grouped.totalCount, grouped.certificateOrderList!.map((o) => o.orderId)],
      [1, [orderId]],
    );
    assert.equal(
      (
        await client.listUserCertificateOrder(
          new Models.ListUserCertificateOrderRequest({ resourceGroupId: 'rg-none' }),
        )
      ).body!.totalCount,
      0,
    );
    // The order's certificate is in the group too, whether it was issued before the move or after.
    await waitForType(client, orderId, 'certificate');
    const certs = (
      await client.listUserCertificateOrder(
        new Models.ListUserCertificateOrderRequest({ orderType: 'CERT', resourceGroupId: 'rg-orders' }),
      )
    ).body!;
    assert.deepEqual(
      certs.certificateOrderList!.map((x) => x.commonName),
      ['rg-order.example.test'],
    );
  });

  it('refuses malformed and mismatched ids, and answers NotFound for unknown or foreign ones', async () => {
    const move = (req: Record<string, string>) =>
      client.moveResourceGroup(
        new Models.MoveResourceGroupRequest({ resourceGroupId: 'rg-x', resourceType: 'Certificate', ...req }),
      );
    await refused(move({ resourceId: 'not-an-id' }), 'InvalidParameter', 400, 'ResourceId');
    await refused(move({ resourceId: 'cas-order-abc' }), 'InvalidParameter', 400, 'ResourceId');
    await refused(
      move({ resourceId: '123', resourceGroupId: 'group' }),
      'InvalidParameter',
      400,
      'ResourceGroupId',
    );
    await refused(move({ resourceId: '123', resourceType: 'disk' }), 'InvalidParameter', 400, 'ResourceType');
    await refused(move({ resourceId: '123', regionId: 'mars-1' }), 'InvalidParameter', 400, 'RegionId');
    await refused(move({ resourceId: String(Number.MAX_SAFE_INTEGER) }), 'NotFoundCertificate', 404);
    await refused(move({ resourceId: '123', resourceType: 'instance' }), 'NotFoundOrder', 404);
    await refused(
      client.moveResourceGroup(new Models.MoveResourceGroupRequest({ resourceId: '123' })),
      'MissingParameter',
      400,
      'ResourceGroupId',
    );
  });
});

describe('DeleteUserCertificate once an issued certificate has expired', () => {
  it('deletes it without revocation after its end date (server clock moved on)', async () => {
    const clock = new ManualClock(Date.now());
    const moved = await startTestServer({
      clock,
      flags: { validation: 'sandbox', sandboxDelayMs: '0', workerIntervalMs: '50' },
    });
    try {
      const c = sdk(moved.endpoint, moved.rootKey);
      const { certId } = await issuedCertificate(c, 'expires.example.test');
      await expectError(
        c.deleteUserCertificate(new Models.DeleteUserCertificateRequest({ certId })),
        'OrderStateError',
        403,
      );
      clock.advance(91 * 86_400_000);
      // Signed with the server's (moved) clock, through raw V1 requests.
      const call = (action: string) =>
        v1Request(
          moved.endpoint,
          moved.rootKey,
          v1Params(
            moved.rootKey,
            action,
            { CertId: String(certId) },
            { Timestamp: new Date(clock.now()).toISOString() },
          ),
        );
      const shown = await call('GetUserCertificateDetail');
      assert.equal(shown.json.Expired, true);
      const deleted = await call('DeleteUserCertificate');
      assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
      const gone = await call('GetUserCertificateDetail');
      assert.deepEqual([gone.status, gone.json.Code], [404, 'NotFoundCertificate']);
    } finally {
      await moved.stop();
    }
  });
});

describe('CertIdentifier takes the region from the configuration', () => {
  it('is <CertId>-<OPENCAS_REGION_ID>, and Keyword and MoveResourceGroup take it', async () => {
    const regional = await startTestServer({ flags: { regionId: 'ap-southeast-1' } });
    try {
      const c = sdk(regional.endpoint, regional.rootKey);
      const chain = makeChain('region.example.test');
      const { certId } = await upload(c, chain.leaf.cert, chain.leaf.key, 'regional');
      const d = await detail(c, certId!, true);
      assert.equal(d.certIdentifier, `${certId}-ap-southeast-1`);
      const found = async (keyword: string) => (await listCerts(c, { keyword })).totalCount;
      assert.deepEqual([await found(d.certIdentifier!), await found(`${certId}-cn-hangzhou`)], [1, 0]);
      await c.moveResourceGroup(
        new Models.MoveResourceGroupRequest({
          resourceId: d.certIdentifier,
          resourceGroupId: 'rg-regional',
          resourceType: 'Certificate',
        }),
      );
      assert.equal((await detail(c, certId!, true)).resourceGroupId, 'rg-regional');
    } finally {
      await regional.stop();
    }
  });
});
