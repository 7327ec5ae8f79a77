/**
 * The template leaf builder (src/pki/leaf.ts) against the straightforward @peculiar/x509 build it replaced:
 * the same fields give the same TBSCertificate, byte for byte, and every leaf parses with @peculiar/x509 and
 * passes `openssl x509 -text` and `openssl verify` against the chain. Names are chosen so that DER lengths
 * cross the 127/128 and 255/256 boundaries of the short and long length forms.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CertificateAuthority, createCa, randomSerial, type CaFiles } from '../../src/pki/ca.js';
import { describeCertificate, keyIdentifierHex, readTlv } from '../../src/pki/certificate.js';
import { derLength, oid, tlv, unsignedInteger, x509Time } from '../../src/pki/der.js';
import { describeSpki, LeafTemplate, type LeafFields } from '../../src/pki/leaf.js';
import { csrPublicKey, parseCsr } from '../../src/pki/csr.js';
import { PkiError } from '../../src/pki/errors.js';
import { webKeyParams } from '../../src/pki/keys.js';
import { webcrypto, x509 } from '../../src/pki/x509.js';

const DAY = 86_400_000;
let dir: string;
let counter = 0;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'opencas-leaf-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const f = path.join(dir, `${counter++}-${name}`);
  writeFileSync(f, content);
  return f;
}

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A DNS name of exactly `length` characters under `.test` (labels of at most 63). */
function nameOfLength(length: number, seed = 'a'): string {
  const suffix = '.test';
  let rest = length - suffix.length;
  const labels: string[] = [];
  while (rest > 0) {
    // A label, then a dot unless it is the last; never leave a remainder of 1 (a lone dot).
    let take = Math.min(63, rest);
    if (rest - take === 1) take -= 1;
    labels.push(seed.repeat(take));
    rest -= take;
    if (rest > 0) rest -= 1; // the dot
  }
  const name = labels.join('.') + suffix;
  assert.equal(name.length, length);
  return name;
}

/** The DER TBSCertificate of a certificate. */
function tbsOf(der: Uint8Array): Buffer {
  const outer = readTlv(der)!;
  const tbs = readTlv(der, outer.start, outer.end)!;
  return Buffer.from(der.subarray(outer.start, tbs.end));
}

interface Ca {
  files: CaFiles;
  ca: CertificateAuthority;
  template: LeafTemplate;
  intermediate: x509.X509Certificate;
  webKey: webcrypto.CryptoKey;
  signing: { name: string; hash: string };
}

async function loadCa(algorithm: 'EC' | 'RSA', now: number): Promise<Ca> {
  const files = await createCa({ algorithm, name: 'Leaf Test', now });
  const intermediate = new x509.X509Certificate(files.intermediateCertPem);
  const key = createPrivateKey(files.intermediateKeyPem);
  const { importParams, signing } = webKeyParams(key, 'the CA key');
  const webKey = await webcrypto.subtle.importKey(
    'pkcs8',
    key.export({ type: 'pkcs8', format: 'der' }),
    importParams,
    false,
    ['sign'],
  );
  const ski = intermediate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
  const template = new LeafTemplate({
    issuerNameDer: Buffer.from(intermediate.subjectName.toArrayBuffer()),
    issuerCommonName: 'Leaf Test Intermediate CA',
    authorityKeyId: Buffer.from(ski, 'hex'),
    signingKey: key,
  });
  return { files, ca: await CertificateAuthority.load(files), template, intermediate, webKey, signing };
}

/** The leaf as the previous builder (@peculiar/x509's generator) made it from the same fields. */
async function referenceLeaf(ca: Ca, f: LeafFields): Promise<Buffer> {
  const cn = f.names.find((n) => n.length <= 64);
  const aki = ca.intermediate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(f.serial).toString('hex'),
    subject: new x509.Name(cn === undefined ? [] : [{ CN: [{ utf8String: cn }] }]),
    issuer: ca.intermediate.subjectName,
    notBefore: new Date(f.notBefore),
    notAfter: new Date(f.notAfter),
    publicKey: new Uint8Array(f.spki),
    signingKey: ca.webKey,
    signingAlgorithm: ca.signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        f.keyAlgorithm === 'RSA'
          ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
          : x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        f.names.map((value) => ({ type: 'dns' as const, value })),
        cn === undefined,
      ),
      new x509.AuthorityKeyIdentifierExtension(aki),
      new x509.SubjectKeyIdentifierExtension(keyIdentifierHex(f.spki)),
    ],
  });
  return Buffer.from(cert.rawData);
}

const leafKeys: Record<string, KeyObject> = {
  'EC P-256': generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  'EC P-384': generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
  'RSA 2048': generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};

/** SAN contents of 125+2 = 127 and 126+2 = 128 octets, and two names summing to 255 and 256. */
const nameSets: Record<string, string[]> = {
  'one short name': ['example.test'],
  'a wildcard and its apex': ['*.example.test', 'example.test'],
  'SAN content of 127 octets': [nameOfLength(60, 'c'), nameOfLength(63, 'd')],
  'SAN content of 128 octets': [nameOfLength(60, 'c'), nameOfLength(64, 'd')],
  'SAN content of 255 octets': [nameOfLength(64, 'e'), nameOfLength(124, 'f'), nameOfLength(61, 'g')],
  'SAN content of 256 octets': [nameOfLength(64, 'e'), nameOfLength(125, 'f'), nameOfLength(61, 'g')],
  'a 253-character name (dNSName length in long form)': [nameOfLength(253, 'h'), 'short.test'],
  'no name fits a CN (empty subject, critical SAN)': [nameOfLength(65, 'i'), nameOfLength(200, 'j')],
  'a 64-character CN': [nameOfLength(64, 'k')],
  'forty long names (a SAN of over 4,096 octets)': Array.from(
    { length: 40 },
    (_, i) => `${String(i).padStart(3, '0')}.${nameOfLength(120, 'm')}`,
  ),
};

describe('DER writer', () => {
  it('writes short and long length forms at their boundaries', () => {
    const cases: [number, number[]][] = [
      [0, [0]],
      [127, [0x7f]],
      [128, [0x81, 0x80]],
      [255, [0x81, 0xff]],
      [256, [0x82, 0x01, 0x00]],
      [65535, [0x82, 0xff, 0xff]],
      [65536, [0x83, 0x01, 0x00, 0x00]],
    ];
    for (const [n, bytes] of cases) assert.deepEqual([...derLength(n)], bytes, String(n));
    assert.deepEqual([...tlv(0x04, Buffer.alloc(200)).subarray(0, 3)], [0x04, 0x81, 200]);
    assert.equal(tlv(0x04, Buffer.alloc(300)).length, 304);
  });

  it('encodes OIDs, integers and times as openssl reads them', () => {
    assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
    assert.equal(oid('2.5.29.17').toString('hex'), '0603551d11');
    assert.equal(unsignedInteger(Buffer.from([0x80])).toString('hex'), '02020080');
    assert.equal(unsignedInteger(Buffer.from([0, 0, 0x7f])).toString('hex'), '02017f');
    assert.equal(
      x509Time(Date.UTC(2049, 11, 31, 23, 59, 59, 999))
        .toString('latin1')
        .slice(2),
      '491231235959Z',
    );
    assert.equal(
      x509Time(Date.UTC(2050, 0, 1))
        .toString('latin1')
        .slice(2),
      '20500101000000Z',
    );
    assert.equal(x509Time(Date.UTC(2050, 0, 1))[0], 0x18);
    assert.equal(x509Time(Date.UTC(2026, 0, 1))[0], 0x17);
  });
});

describe('describeSpki and csrPublicKey', () => {
  it('read the algorithm and size as node:crypto does, without OpenSSL', () => {
    const keys: Array<[KeyObject, 'RSA' | 'EC', number]> = [
      [generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, 'RSA', 2048],
      [generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey, 'RSA', 3072],
      [generateKeyPairSync('rsa', { modulusLength: 4096 }).publicKey, 'RSA', 4096],
      [generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey, 'EC', 256],
      [generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey, 'EC', 384],
    ];
    for (const [key, algorithm, size] of keys) {
      const details = key.asymmetricKeyDetails!;
      assert.equal(details.modulusLength ?? { prime256v1: 256, secp384r1: 384 }[details.namedCurve!], size);
      const spki = key.export({ type: 'spki', format: 'der' });
      assert.deepEqual(describeSpki(spki), { spki, keyAlgorithm: algorithm, keySize: size });
    }
  });

  it('refuses small RSA keys, other curves and other algorithms', () => {
    const refused = [
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('ed25519').publicKey,
    ];
    for (const key of refused) {
      assert.throws(() => describeSpki(key.export({ type: 'spki', format: 'der' })), PkiError);
    }
    assert.throws(() => describeSpki(Buffer.from('3000', 'hex')), PkiError);
    // An even exponent (65536 in place of 65537).
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const spki = Buffer.from(rsa.export({ type: 'spki', format: 'der' }));
    assert.equal(spki.subarray(-5).toString('hex'), '0203010001');
    spki[spki.length - 1] = 0;
    assert.throws(() => describeSpki(spki), PkiError);
    spki[spki.length - 1] = 1;
    assert.equal(describeSpki(spki).keySize, 2048);
  });

  it('parseCsr refuses the EC keys the issuer refuses: explicit curve parameters, compressed and hybrid points', () => {
    const key = path.join(dir, `odd-${++counter}.pem`);
    const csrOf = (keyFile: string) =>
      openssl(['req', '-new', '-key', keyFile, '-subj', '/CN=odd.example.test']);
    const cases: Array<[string, () => string, RegExp]> = [
      [
        'explicit P-256',
        () => {
          openssl(['ecparam', '-name', 'prime256v1', '-param_enc', 'explicit', '-genkey', '-out', key]);
          return csrOf(key);
        },
        /gives its EC curve as explicit parameters; the curve must be named: P-256 or P-384$/,
      ],
      [
        'explicit P-384',
        () => {
          openssl(['ecparam', '-name', 'secp384r1', '-param_enc', 'explicit', '-genkey', '-out', key]);
          return csrOf(key);
        },
        /gives its EC curve as explicit parameters/,
      ],
      ...(['compressed', 'hybrid'] as const).map((form): [string, () => string, RegExp] => [
        form,
        () => {
          openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
          openssl(['ec', '-in', key, '-conv_form', form, '-out', key]);
          return csrOf(key);
        },
        /must hold its EC point uncompressed/,
      ]),
    ];
    for (const [what, make, reason] of cases) {
      const csr = make();
      assert.throws(
        () => parseCsr(csr),
        (err: unknown) =>
          err instanceof PkiError && /^the CSR's key /.test(err.message) && reason.test(err.message),
        what,
      );
      // The issuer's reading of the same CSR (what a stored application's key goes through) refuses it too.
      assert.throws(() => csrPublicKey(csr), reason, what);
    }
  });

  it("csrPublicKey reads the key parseCsr reads from openssl's CSRs", () => {
    for (const spec of [
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      ['-newkey', 'rsa:2048'],
    ]) {
      const csr = openssl([
        'req',
        '-new',
        ...spec,
        '-nodes',
        '-keyout',
        path.join(dir, 'k.pem'),
        '-subj',
        '/CN=csr.test',
      ]);
      const parsed = parseCsr(csr);
      const fast = csrPublicKey(parsed.pem);
      assert.deepEqual(Buffer.from(fast.spki), parsed.publicKey.export({ type: 'spki', format: 'der' }));
      assert.equal(fast.keyAlgorithm, parsed.keyAlgorithm);
      assert.equal(fast.keySize, parsed.keySize);
    }
    assert.throws(
      () => csrPublicKey('-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n'),
      PkiError,
    );
  });
});

for (const caAlgorithm of ['EC', 'RSA'] as const) {
  describe(`template leaves from an ${caAlgorithm} CA`, () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    let ca: Ca;
    before(async () => {
      ca = await loadCa(caAlgorithm, now);
    });

    for (const [keyName, key] of Object.entries(leafKeys)) {
      for (const [setName, names] of Object.entries(nameSets)) {
        it(`${keyName} leaf, ${setName}: same TBS as @peculiar/x509, openssl verifies it`, async () => {
          const publicKey = createPublicKey(key);
          const details = publicKey.asymmetricKeyDetails!;
          const f: LeafFields = {
            serial: randomSerial(),
            notBefore: now - 60_000,
            notAfter: now + 90 * DAY,
            names,
            spki: publicKey.export({ type: 'spki', format: 'der' }),
            keyAlgorithm: publicKey.asymmetricKeyType === 'rsa' ? 'RSA' : 'EC',
            keySize:
              publicKey.asymmetricKeyType === 'rsa'
                ? details.modulusLength!
                : details.namedCurve === 'secp384r1'
                  ? 384
                  : 256,
          };
          const built = ca.template.build(f);
          const reference = await referenceLeaf(ca, f);
          assert.equal(tbsOf(built.der).toString('hex'), tbsOf(reference).toString('hex'));

          // @peculiar/x509 reads it back, and the signature verifies with the intermediate's key.
          const parsed = new x509.X509Certificate(new Uint8Array(built.der));
          assert.equal(parsed.serialNumber.toLowerCase(), built.serialHex);
          assert.ok(await parsed.verify({ publicKey: ca.intermediate.publicKey, signatureOnly: true }));
          const san = parsed.getExtension(x509.SubjectAlternativeNameExtension)!;
          assert.deepEqual(
            san.names.items.map((n) => n.value),
            names,
          );

          // What the builder reports is what describeCertificate reads.
          assert.deepEqual(built.info, describeCertificate(built.leafPem));

          const leafFile = file('leaf.pem', built.leafPem);
          const text = openssl(['x509', '-noout', '-text', '-in', leafFile]);
          const cn = names.find((n) => n.length <= 64);
          if (cn === undefined) {
            assert.match(text, /Subject: \n/);
            assert.match(text, /Subject Alternative Name: critical\n/);
          } else {
            assert.match(text, new RegExp(`Subject: CN = ${cn.replace(/[.*]/g, '\\$&')}\\n`));
            assert.match(text, /Subject Alternative Name: \n/);
          }
          const ku = f.keyAlgorithm === 'RSA' ? 'Digital Signature, Key Encipherment' : 'Digital Signature';
          assert.match(text, new RegExp(`Key Usage: critical\\n\\s+${ku}\\n`));
          assert.match(text, /Basic Constraints: critical\n\s+CA:FALSE\n/);
          assert.match(text, /Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
          const verified = openssl([
            'verify',
            '-purpose',
            'sslserver',
            '-CAfile',
            file('root.pem', ca.files.rootCertPem),
            '-untrusted',
            file('chain.pem', ca.files.intermediateCertPem),
            leafFile,
          ]);
          assert.equal(verified.trim(), `${leafFile}: OK`);
        });
      }
    }

    it('issueLeafSync gives the chain, unique positive serials and the written times', () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const serials = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const leaf = ca.ca.issueLeafSync({
          names: ['Example.TEST.', 'example.test', `n${i}.example.test`],
          publicKey,
          notBefore: now - 60_000 + 123,
          notAfter: now + 90 * DAY + 999,
        });
        assert.equal(leaf.serialHex.length, 32);
        assert.ok(Number.parseInt(leaf.serialHex.slice(0, 2), 16) < 0x80);
        assert.notEqual(leaf.serialHex.slice(0, 2), '00');
        serials.add(leaf.serialHex);
        assert.equal(leaf.notBefore, now - 60_000);
        assert.equal(leaf.notAfter, now + 90 * DAY);
        assert.equal(leaf.fullChainPem, leaf.leafPem + ca.files.intermediateCertPem);
        if (i === 0) {
          assert.deepEqual(leaf.info.sans, ['example.test', 'n0.example.test']);
          const leafFile = file('leaf.pem', leaf.leafPem);
          const verified = openssl([
            'verify',
            '-CAfile',
            file('root.pem', ca.files.rootCertPem),
            '-untrusted',
            file('chain.pem', ca.files.intermediateCertPem),
            leafFile,
          ]);
          assert.equal(verified.trim(), `${leafFile}: OK`);
        }
      }
      assert.equal(serials.size, 2000);
    });
  });
}

describe('signing threads', () => {
  it('sign batches on worker threads, refuse bad requests one by one, and stop on close', async () => {
    const now = Date.now();
    const files = await createCa({ algorithm: 'EC', name: 'Threads', now });
    const ca = await CertificateAuthority.load(files, { signingThreads: 2 });
    try {
      const keys = [
        generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
        generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
      ].map((k) => describeSpki(k.export({ type: 'spki', format: 'der' })));
      const reqs = Array.from({ length: 41 }, (_, i) => ({
        names: i === 7 ? ['bad name.test'] : [`t${i}.example.test`, nameOfLength(80 + i, 'x')],
        publicKey: keys[i % 2]!,
        notBefore: now,
        notAfter: now + 90 * DAY,
      }));
      const leaves = await ca.issueLeaves(reqs);
      assert.equal(leaves.length, reqs.length);
      assert.ok(leaves[7] instanceof PkiError);
      assert.deepEqual(ca.signed, { threads: 40, here: 0 });
      const serials = new Set<string>();
      for (const [i, leaf] of leaves.entries()) {
        if (i === 7) continue;
        assert.ok(!(leaf instanceof Error));
        assert.ok(Buffer.isBuffer(leaf.der));
        assert.deepEqual(leaf.info, describeCertificate(leaf.leafPem));
        assert.deepEqual(leaf.info.sans, reqs[i]!.names);
        assert.equal(leaf.info.keyAlgorithm, i % 2 ? 'RSA' : 'EC');
        assert.equal(leaf.fullChainPem, leaf.leafPem + files.intermediateCertPem);
        serials.add(leaf.serialHex);
        if (i < 3) {
          const leafFile = file('leaf.pem', leaf.leafPem);
          const out = openssl([
            'verify',
            '-CAfile',
            file('root.pem', files.rootCertPem),
            '-untrusted',
            file('chain.pem', files.intermediateCertPem),
            leafFile,
          ]);
          assert.equal(out.trim(), `${leafFile}: OK`);
        }
      }
      assert.equal(serials.size, 40);
    } finally {
      await ca.close();
    }
    // Closed: the calling thread signs.
    const after = await ca.issueLeaves([
      {
        names: ['after.test'],
        publicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
        notBefore: now,
        notAfter: now + DAY,
      },
    ]);
    assert.ok(!(after[0] instanceof Error));
    assert.deepEqual(ca.signed, { threads: 40, here: 1 });
  });
});

describe('template leaves valid past 2049', () => {
  it('switches notAfter to GeneralizedTime exactly as @peculiar/x509 does, and openssl verifies it', async () => {
    const created = Date.UTC(2045, 0, 1);
    const ca = await loadCa('EC', created);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const f: LeafFields = {
      serial: randomSerial(),
      notBefore: Date.UTC(2049, 11, 1),
      notAfter: Date.UTC(2050, 1, 1),
      names: ['future.test'],
      spki: publicKey.export({ type: 'spki', format: 'der' }),
      keyAlgorithm: 'EC',
      keySize: 256,
    };
    const built = ca.template.build(f);
    assert.equal(tbsOf(built.der).toString('hex'), tbsOf(await referenceLeaf(ca, f)).toString('hex'));
    const text = openssl(['x509', '-noout', '-dates'], built.leafPem);
    assert.match(text, /notAfter=Feb {2}1 00:00:00 2050 GMT/);
    const leafFile = file('leaf.pem', built.leafPem);
    const verified = openssl([
      'verify',
      '-attime',
      String(Date.UTC(2050, 0, 1) / 1000),
      '-CAfile',
      file('root.pem', ca.files.rootCertPem),
      '-untrusted',
      file('chain.pem', ca.files.intermediateCertPem),
      leafFile,
    ]);
    assert.equal(verified.trim(), `${leafFile}: OK`);
  });
});
