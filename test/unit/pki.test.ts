import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCb,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { CertificateAuthority, createCa, maxValidityDays, type CaFiles } from '../../src/pki/ca.js';
import { describeCertificate, splitPemBlocks } from '../../src/pki/certificate.js';
import { parseCsr } from '../../src/pki/csr.js';
import { PkiError } from '../../src/pki/errors.js';
import { describeKey, generateKeyPair } from '../../src/pki/keys.js';

const generateKeyPairAsync = promisify(generateKeyPairCb);
const DAY = 86_400_000;

let dir: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'opencas-pki-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
function tmpFile(name: string, content?: string): string {
  const file = path.join(dir, `${fileCounter++}-${name}`);
  if (content !== undefined) writeFileSync(file, content);
  return file;
}

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

type KeySpec = 'rsa2048' | 'rsa1024' | 'p256' | 'p384' | 'p521' | 'secp256k1' | 'ed25519';

async function makeKey(spec: KeySpec): Promise<KeyObject> {
  switch (spec) {
    case 'rsa2048':
      return (await generateKeyPairAsync('rsa', { modulusLength: 2048 })).privateKey;
    case 'rsa1024':
      return (await generateKeyPairAsync('rsa', { modulusLength: 1024 })).privateKey;
    case 'p256':
      return (await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' })).privateKey;
    case 'p384':
      return (await generateKeyPairAsync('ec', { namedCurve: 'secp384r1' })).privateKey;
    case 'p521':
      return (await generateKeyPairAsync('ec', { namedCurve: 'secp521r1' })).privateKey;
    case 'secp256k1':
      return (await generateKeyPairAsync('ec', { namedCurve: 'secp256k1' })).privateKey;
    case 'ed25519':
      return (await generateKeyPairAsync('ed25519')).privateKey;
  }
}

function keyFile(key: KeyObject): string {
  return tmpFile('key.pem', key.export({ type: 'pkcs8', format: 'pem' }).toString());
}

/** A CSR made by `openssl req`. */
function opensslCsr(key: KeyObject, subject: string, sans?: string[]): string {
  const args = ['req', '-new', '-key', keyFile(key), '-subj', subject];
  if (sans) args.push('-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`);
  return openssl(args);
}

function rejectsWith(pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof PkiError, `expected a PkiError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };
}

function pemBody(pem: string): Buffer {
  return Buffer.from(
    pem
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join(''),
    'base64',
  );
}

function armour(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

describe('parseCsr', () => {
  it('accepts an RSA-2048 CSR and reads its names and key', async () => {
    const key = await makeKey('rsa2048');
    const pem = opensslCsr(key, '/C=CN/O=Acme/CN=Example.TEST', [
      'example.test',
      'WWW.example.test',
      'example.test',
    ]);
    const csr = parseCsr(pem);
    assert.equal(csr.commonName, 'example.test');
    assert.deepEqual(csr.sans, ['example.test', 'www.example.test']);
    assert.equal(csr.keyAlgorithm, 'RSA');
    assert.equal(csr.keySize, 2048);
    assert.equal(csr.publicKey.type, 'public');
    assert.ok(csr.publicKey.equals(createPublicKey(key)));
    assert.equal(csr.pem, pem);
  });

  it('accepts P-256 and P-384 CSRs', async () => {
    for (const [spec, size] of [
      ['p256', 256],
      ['p384', 384],
    ] as const) {
      const csr = parseCsr(opensslCsr(await makeKey(spec), '/CN=ec.example.test'));
      assert.equal(csr.keyAlgorithm, 'EC');
      assert.equal(csr.keySize, size);
      assert.equal(csr.commonName, 'ec.example.test');
      assert.deepEqual(csr.sans, []);
    }
  });

  it('rejects an RSA-1024 key', async () => {
    const pem = opensslCsr(await makeKey('rsa1024'), '/CN=example.test');
    assert.throws(
      () => parseCsr(pem),
      rejectsWith(/^the CSR's RSA key has 1024 bits; at least 2048 are required$/),
    );
  });

  it('rejects secp256k1, P-521 and Ed25519 keys', async () => {
    const cases: [KeySpec, RegExp][] = [
      ['secp256k1', /^the CSR's key uses the unsupported curve secp256k1/],
      ['p521', /^the CSR's key uses the unsupported curve P-521/],
      ['ed25519', /^the CSR's key uses the unsupported key algorithm Ed25519/],
    ];
    for (const [spec, reason] of cases) {
      const pem = opensslCsr(await makeKey(spec), '/CN=example.test');
      assert.throws(() => parseCsr(pem), rejectsWith(reason));
    }
  });

  it('rejects a CSR without a Common Name', async () => {
    const pem = opensslCsr(await makeKey('p256'), '/O=Acme Ltd', ['example.test']);
    assert.throws(() => parseCsr(pem), rejectsWith(/^the CSR has no Common Name \(CN\)$/));
  });

  it('rejects a CSR whose signature does not verify', async () => {
    for (const spec of ['rsa2048', 'p256'] as const) {
      const pem = opensslCsr(await makeKey(spec), '/CN=example.test');
      const der = pemBody(pem);
      // The signature BIT STRING is the last element: flip a bit of its last byte.
      der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
      assert.throws(
        () => parseCsr(armour(der, 'CERTIFICATE REQUEST')),
        rejectsWith(/signature does not verify/),
      );
    }
  });

  it('rejects a CSR whose signed subject was altered', async () => {
    const pem = opensslCsr(await makeKey('p256'), '/CN=example.test');
    const der = pemBody(pem);
    const at = der.indexOf(Buffer.from('example.test'));
    der[at] = 'x'.charCodeAt(0);
    assert.throws(
      () => parseCsr(armour(der, 'CERTIFICATE REQUEST')),
      rejectsWith(/signature does not verify/),
    );
  });

  it('rejects truncated PEM, random text, garbage base64 and a certificate', async () => {
    const key = await makeKey('p256');
    const pem = opensslCsr(key, '/CN=example.test');
    const notCsr = /^the text is not a PEM certificate request/;
    // Cut off in the middle: no END line.
    assert.throws(() => parseCsr(pem.slice(0, Math.floor(pem.length / 2))), rejectsWith(notCsr));
    // END line kept, but body lines missing.
    const lines = pem.trim().split('\n');
    const cut = [...lines.slice(0, 3), lines[lines.length - 1]].join('\n');
    assert.throws(() => parseCsr(cut), rejectsWith(notCsr));
    assert.throws(() => parseCsr('hello, this is not a CSR'), rejectsWith(notCsr));
    assert.throws(() => parseCsr(''), rejectsWith(notCsr));
    assert.throws(
      () =>
        parseCsr(
          '-----BEGIN CERTIFICATE REQUEST-----\n!!!not*base64###\n-----END CERTIFICATE REQUEST-----\n',
        ),
      rejectsWith(notCsr),
    );
    assert.throws(
      () =>
        parseCsr(
          `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from('random bytes that are not DER at all').toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`,
        ),
      rejectsWith(notCsr),
    );
    // A valid DER SEQUENCE that is not a CSR.
    assert.throws(
      () => parseCsr(armour(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]), 'CERTIFICATE REQUEST')),
      rejectsWith(notCsr),
    );
    const cert = openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile(key),
      '-subj',
      '/CN=example.test',
      '-days',
      '1',
    ]);
    assert.throws(
      () => parseCsr(cert),
      rejectsWith(/^the text is not a PEM certificate request \(it holds a certificate\)$/),
    );
    // A certificate's DER inside CSR armour.
    assert.throws(() => parseCsr(armour(pemBody(cert), 'CERTIFICATE REQUEST')), rejectsWith(notCsr));
  });

  it('accepts CRLF, a BOM, trailing spaces and text around the block', async () => {
    const pem = opensslCsr(await makeKey('p256'), '/CN=WWW.Example.Test', ['www.example.test']);
    const messy = `\uFEFFHere is my CSR:\r\n\r\n${pem.replace(/\n/g, '  \r\n')}\r\nThanks!\r\n`;
    const csr = parseCsr(messy);
    assert.equal(csr.pem, pem);
    assert.equal(csr.commonName, 'www.example.test');
    assert.deepEqual(csr.sans, ['www.example.test']);
  });

  it('accepts the NEW CERTIFICATE REQUEST label and re-wraps odd line lengths', async () => {
    const pem = opensslCsr(await makeKey('p256'), '/CN=example.test');
    const b64 = pemBody(pem).toString('base64');
    const odd = `-----BEGIN NEW CERTIFICATE REQUEST-----\n${b64.replace(/.{76}/g, '$&\n')}\n-----END NEW CERTIFICATE REQUEST-----`;
    assert.equal(parseCsr(odd).pem, pem);
  });

  it('turns every malformed input into a PkiError (byte-flip fuzz)', async () => {
    const pem = opensslCsr(await makeKey('p256'), '/CN=example.test', ['example.test']);
    const der = pemBody(pem);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const copy = Buffer.from(der);
      const flips = 1 + (random() % 3);
      for (let f = 0; f < flips; f++) copy[random() % copy.length] = random() % 256;
      const cut = i % 10 === 0 ? copy.subarray(0, random() % copy.length) : copy;
      try {
        parseCsr(armour(Buffer.from(cut), 'CERTIFICATE REQUEST'));
      } catch (err) {
        assert.ok(err instanceof PkiError, `iteration ${i}: ${String(err)}`);
      }
    }
  });

  it('rejects two CSRs in one text', async () => {
    const pem = opensslCsr(await makeKey('p256'), '/CN=example.test');
    assert.throws(() => parseCsr(pem + pem), rejectsWith(/more than one certificate request/));
  });
});

describe('keys', () => {
  it('generates RSA-2048 by default as PKCS#1, without blocking the event loop', async () => {
    let ticks = 0;
    let running = true;
    const spin = () => {
      ticks++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const pair = await generateKeyPair('RSA');
    running = false;
    assert.ok(ticks > 1, `the event loop turned ${ticks} times during RSA generation`);
    assert.match(pair.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(pair.privateKeyPem, /-----END RSA PRIVATE KEY-----\n$/);
    assert.ok(!pair.privateKeyPem.includes('\r'));
    assert.deepEqual(describeKey(pair.publicKey), { algorithm: 'RSA', size: 2048 });
    assert.deepEqual(describeKey(pair.privateKey), { algorithm: 'RSA', size: 2048 });
    assert.ok(createPrivateKey(pair.privateKeyPem).equals(pair.privateKey));
  });

  it('generates P-256 and P-384 keys as SEC1', async () => {
    for (const size of [256, 384]) {
      const pair = await generateKeyPair('EC', size);
      assert.match(
        pair.privateKeyPem,
        /^-----BEGIN EC PRIVATE KEY-----\n[^]*-----END EC PRIVATE KEY-----\n$/,
      );
      assert.deepEqual(describeKey(pair.publicKey), { algorithm: 'EC', size });
    }
    assert.deepEqual(describeKey((await generateKeyPair('EC')).publicKey), { algorithm: 'EC', size: 256 });
  });

  it('refuses sizes it does not make, and describes only RSA and EC keys', async () => {
    await assert.rejects(generateKeyPair('RSA', 1024), PkiError);
    await assert.rejects(generateKeyPair('EC', 521), PkiError);
    assert.throws(() => describeKey(createPublicKey(keyFileKey('ed25519'))), rejectsWith(/Ed25519/));
  });
});

function keyFileKey(spec: 'ed25519'): string {
  return openssl(['genpkey', '-algorithm', spec.toUpperCase()]);
}

describe('splitPemBlocks', () => {
  it('normalises every block of a label and skips broken ones', async () => {
    const key = await makeKey('p256');
    const a = openssl(['req', '-x509', '-new', '-key', keyFile(key), '-subj', '/CN=a.test', '-days', '1']);
    const b = openssl(['req', '-x509', '-new', '-key', keyFile(key), '-subj', '/CN=b.test', '-days', '1']);
    const truncated = a.slice(0, 100);
    const text = `\uFEFFjunk\r\n${truncated}\r\n${a.replace(/\n/g, '\r\n')}between\n${b.replace(/\n/g, ' \n')}`;
    assert.deepEqual(splitPemBlocks(text, 'CERTIFICATE'), [a, b]);
    assert.deepEqual(splitPemBlocks(text, 'CERTIFICATE REQUEST'), []);
  });
});

describe('maxValidityDays', () => {
  it('follows the CA/Browser Forum schedule at the boundaries (UTC)', () => {
    const cases: [number, number][] = [
      [Date.UTC(2025, 0, 1), 398],
      [Date.UTC(2026, 2, 15) - 1, 398],
      [Date.UTC(2026, 2, 15), 200],
      [Date.UTC(2027, 2, 15) - 1, 200],
      [Date.UTC(2027, 2, 15), 100],
      [Date.UTC(2029, 2, 15) - 1, 100],
      [Date.UTC(2029, 2, 15), 47],
      [Date.UTC(2035, 0, 1), 47],
    ];
    for (const [date, days] of cases) assert.equal(maxValidityDays(date), days, new Date(date).toISOString());
  });
});

interface Ca {
  files: CaFiles;
  ca: CertificateAuthority;
}

async function tlsHandshake(
  keyPem: string,
  certPem: string,
  caPem: string,
  servername: string,
): Promise<{ authorized: boolean; error?: Error }> {
  const server = tls.createServer({ key: keyPem, cert: certPem }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: caPem, servername }, () => {
        const authorized = socket.authorized;
        socket.end();
        resolve({ authorized });
      });
      socket.on('error', (error) => resolve({ authorized: false, error }));
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

for (const algorithm of ['EC', 'RSA'] as const) {
  describe(`the embedded CA (${algorithm})`, () => {
    let ca: Ca;
    const now = Date.now();

    before(async () => {
      const files = await createCa({ algorithm, name: 'OpenCAS', now });
      ca = { files, ca: await CertificateAuthority.load(files) };
    });

    it('creates a root and an intermediate with the CA profile', () => {
      const { files } = ca;
      assert.match(files.rootKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(files.intermediateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const rootText = openssl(['x509', '-noout', '-text'], files.rootCertPem);
      assert.match(rootText, /Subject: O = OpenCAS, CN = OpenCAS Root CA/);
      assert.match(rootText, /Issuer: O = OpenCAS, CN = OpenCAS Root CA/);
      assert.match(rootText, /Basic Constraints: critical\s+CA:TRUE\n/);
      assert.match(rootText, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
      assert.match(rootText, /Subject Key Identifier/);
      assert.match(
        rootText,
        algorithm === 'EC' ? /ecdsa-with-SHA256[^]*NIST CURVE: P-256/ : /sha256WithRSA[^]*2048 bit/,
      );
      const interText = openssl(['x509', '-noout', '-text'], files.intermediateCertPem);
      assert.match(interText, /Subject: O = OpenCAS, CN = OpenCAS Intermediate CA/);
      assert.match(interText, /Basic Constraints: critical\s+CA:TRUE, pathlen:0\n/);
      assert.match(interText, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign\n/);
      assert.match(interText, /Authority Key Identifier/);
      const root = describeCertificate(files.rootCertPem);
      const inter = describeCertificate(files.intermediateCertPem);
      assert.equal(new Date(root.notAfter).getUTCFullYear() - new Date(root.notBefore).getUTCFullYear(), 20);
      assert.equal(
        new Date(inter.notAfter).getUTCFullYear() - new Date(inter.notBefore).getUTCFullYear(),
        10,
      );
      assert.ok(root.notBefore <= now && inter.notBefore <= now);
      assert.ok(root.serialHex.length >= 16 && inter.serialHex.length >= 16);
      assert.equal(ca.ca.rootPem, files.rootCertPem);
      assert.equal(ca.ca.chainPem, files.intermediateCertPem);
      openssl([
        'verify',
        '-CAfile',
        tmpFile('root.pem', files.rootCertPem),
        tmpFile('inter.pem', files.intermediateCertPem),
      ]);
    });

    for (const leafKey of ['RSA', 'EC'] as const) {
      it(`issues a leaf for an ${leafKey} key that openssl verifies and TLS accepts`, async () => {
        const pair = await generateKeyPair(leafKey);
        const issued = await ca.ca.issueLeaf({
          names: ['example.test', 'www.example.test'],
          publicKey: pair.publicKey,
          notBefore: now,
          notAfter: now + 90 * DAY,
        });
        const blocks = splitPemBlocks(issued.fullChainPem, 'CERTIFICATE');
        assert.equal(issued.fullChainPem, `${issued.leafPem}${ca.ca.chainPem}`);
        assert.deepEqual(blocks, [issued.leafPem, ca.ca.chainPem]);
        assert.ok(!issued.fullChainPem.includes('\r') && issued.fullChainPem.endsWith('-----\n'));

        const root = tmpFile('root.pem', ca.ca.rootPem);
        const chain = tmpFile('chain.pem', ca.ca.chainPem);
        const leaf = tmpFile('leaf.pem', issued.leafPem);
        const verified = openssl([
          'verify',
          '-purpose',
          'sslserver',
          '-CAfile',
          root,
          '-untrusted',
          chain,
          leaf,
        ]);
        assert.equal(verified.trim(), `${leaf}: OK`);

        const text = openssl(['x509', '-noout', '-text', '-in', leaf]);
        assert.match(text, /Subject: CN = example.test\n/);
        assert.match(text, /Subject Alternative Name: \n\s+DNS:example.test, DNS:www.example.test\n/);
        assert.match(text, /Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
        assert.match(text, /Basic Constraints: critical\n\s+CA:FALSE\n/);
        const keyUsage = leafKey === 'RSA' ? 'Digital Signature, Key Encipherment' : 'Digital Signature';
        assert.match(text, new RegExp(`Key Usage: critical\\n\\s+${keyUsage}\\n`));
        const ski = /Subject Key Identifier: \n\s+([0-9A-F:]+)\n/.exec(text)?.[1];
        const aki = /Authority Key Identifier: \n\s+(?:keyid:)?([0-9A-F:]+)\n/.exec(text)?.[1];
        const interText = openssl(['x509', '-noout', '-text'], ca.ca.chainPem);
        const interSki = /Subject Key Identifier: \n\s+([0-9A-F:]+)\n/.exec(interText)?.[1];
        assert.ok(ski && aki && interSki);
        assert.equal(aki, interSki);
        assert.notEqual(ski, interSki);
        // The leaf's SKI is the SHA-1 of its key, as openssl computes it for a certificate of the same key.
        const selfSigned = openssl([
          'req',
          '-x509',
          '-new',
          '-key',
          tmpFile('leaf.key', pair.privateKeyPem),
          '-subj',
          '/CN=ski',
          '-days',
          '1',
        ]);
        const expectedSki = /Subject Key Identifier: \n\s+([0-9A-F:]+)\n/.exec(
          openssl(['x509', '-noout', '-text'], selfSigned),
        )?.[1];
        assert.equal(ski, expectedSki);

        // Serial: positive, at least 64 bits, reported as openssl prints it.
        const serial = openssl(['x509', '-noout', '-serial', '-in', leaf])
          .trim()
          .replace(/^serial=/, '');
        assert.equal(issued.serialHex, serial.toLowerCase());
        assert.ok(BigInt(`0x${issued.serialHex}`) >= 2n ** 64n);
        assert.ok(Number.parseInt(issued.serialHex.slice(0, 2), 16) < 0x80);

        assert.equal(issued.notBefore, Math.floor(now / 1000) * 1000);
        assert.equal(issued.notAfter, Math.floor((now + 90 * DAY) / 1000) * 1000);
        const info = describeCertificate(issued.leafPem);
        assert.equal(info.notBefore, issued.notBefore);
        assert.equal(info.notAfter, issued.notAfter);
        assert.equal(info.keyAlgorithm, leafKey);

        const result = await tlsHandshake(
          pair.privateKeyPem,
          issued.fullChainPem,
          ca.ca.rootPem,
          'www.example.test',
        );
        assert.equal(result.error, undefined);
        assert.equal(result.authorized, true);

        // The client really checks the name.
        const wrong = await tlsHandshake(
          pair.privateKeyPem,
          issued.fullChainPem,
          ca.ca.rootPem,
          'other.test',
        );
        assert.match(String(wrong.error), /Hostname\/IP does not match/);
      });
    }

    it('issues a wildcard leaf that TLS accepts for a.example.test', async () => {
      const pair = await generateKeyPair('EC');
      const issued = await ca.ca.issueLeaf({
        names: ['*.example.test'],
        publicKey: pair.privateKey,
        notBefore: now,
        notAfter: now + 30 * DAY,
      });
      const text = openssl(['x509', '-noout', '-text'], issued.leafPem);
      assert.match(text, /Subject: CN = \*.example.test\n/);
      assert.match(text, /DNS:\*.example.test\n/);
      const ok = await tlsHandshake(pair.privateKeyPem, issued.fullChainPem, ca.ca.rootPem, 'a.example.test');
      assert.equal(ok.error, undefined);
      assert.equal(ok.authorized, true);
      const apex = await tlsHandshake(pair.privateKeyPem, issued.fullChainPem, ca.ca.rootPem, 'example.test');
      assert.ok(apex.error, 'a wildcard does not cover the apex');
    });

    it('cuts the validity to the intermediate and refuses bad requests', async () => {
      const pair = await generateKeyPair('EC');
      const issued = await ca.ca.issueLeaf({
        names: ['Example.Test.', 'example.test'],
        publicKey: pair.publicKey,
        notBefore: now,
        notAfter: now + 100 * 365 * DAY,
      });
      assert.equal(issued.notAfter, describeCertificate(ca.ca.chainPem).notAfter);
      assert.deepEqual(describeCertificate(issued.leafPem).sans, ['example.test']);
      const base = { publicKey: pair.publicKey, notBefore: now, notAfter: now + DAY };
      await assert.rejects(ca.ca.issueLeaf({ ...base, names: [] }), PkiError);
      await assert.rejects(ca.ca.issueLeaf({ ...base, names: ['bad name.test'] }), PkiError);
      await assert.rejects(ca.ca.issueLeaf({ ...base, names: ['a.*.test'] }), PkiError);
      await assert.rejects(
        ca.ca.issueLeaf({ ...base, names: ['example.test'], notAfter: now - DAY }),
        PkiError,
      );
      const ed = createPublicKey(keyFileKey('ed25519'));
      await assert.rejects(ca.ca.issueLeaf({ ...base, names: ['example.test'], publicKey: ed }), PkiError);
    });

    it('keeps a name longer than 64 characters out of the CN', async () => {
      const pair = await generateKeyPair('EC');
      const long = `${'a'.repeat(60)}.example.test`;
      const withShort = await ca.ca.issueLeaf({
        names: [long, 'short.example.test'],
        publicKey: pair.publicKey,
        notBefore: now,
        notAfter: now + DAY,
      });
      const info = describeCertificate(withShort.leafPem);
      assert.equal(info.subjectCommonName, 'short.example.test');
      assert.deepEqual(info.sans, [long, 'short.example.test']);
      const onlyLong = await ca.ca.issueLeaf({
        names: [long],
        publicKey: pair.publicKey,
        notBefore: now,
        notAfter: now + DAY,
      });
      const text = openssl(['x509', '-noout', '-text'], onlyLong.leafPem);
      assert.match(text, /Subject: \n/);
      assert.match(text, /Subject Alternative Name: critical\n/);
      const root = tmpFile('root.pem', ca.ca.rootPem);
      const chain = tmpFile('chain.pem', ca.ca.chainPem);
      const leaf = tmpFile('leaf.pem', onlyLong.leafPem);
      assert.match(openssl(['verify', '-CAfile', root, '-untrusted', chain, leaf]), /: OK/);
    });

    it('measures the issuance rate', async () => {
      const pair = await generateKeyPair('EC');
      const start = performance.now();
      let n = 0;
      while (performance.now() - start < 1500) {
        await ca.ca.issueLeaf({
          names: ['example.test', 'www.example.test'],
          publicKey: pair.publicKey,
          notBefore: now,
          notAfter: now + 90 * DAY,
        });
        n++;
      }
      const rate = n / ((performance.now() - start) / 1000);
      console.log(
        `issueLeaf with an ${algorithm} intermediate: ${rate.toFixed(0)} leaves per second (${n} issued)`,
      );
    });
  });
}

describe('CertificateAuthority.load', () => {
  let ec: CaFiles;
  let rsa: CaFiles;
  before(async () => {
    [ec, rsa] = await Promise.all([
      createCa({ algorithm: 'EC', name: 'Test', now: Date.now() }),
      createCa({ algorithm: 'RSA', name: 'Other', now: Date.now() }),
    ]);
  });

  it('loads PKCS#8, SEC1 and CRLF key files', async () => {
    const sec1 = createPrivateKey(ec.intermediateKeyPem).export({ type: 'sec1', format: 'pem' }).toString();
    await CertificateAuthority.load({ ...ec, intermediateKeyPem: sec1.replace(/\n/g, '\r\n') });
    await CertificateAuthority.load({ ...ec, rootKeyPem: '' });
  });

  it('rejects a key that does not match, a foreign root, and unreadable files', async () => {
    await assert.rejects(
      CertificateAuthority.load({ ...ec, intermediateKeyPem: rsa.intermediateKeyPem }),
      rejectsWith(/intermediate key does not match/),
    );
    await assert.rejects(
      CertificateAuthority.load({ ...ec, rootKeyPem: rsa.rootKeyPem }),
      rejectsWith(/root key does not match/),
    );
    await assert.rejects(
      CertificateAuthority.load({ ...ec, rootCertPem: rsa.rootCertPem, rootKeyPem: '' }),
      rejectsWith(/not issued by the root/),
    );
    await assert.rejects(
      CertificateAuthority.load({ ...ec, intermediateKeyPem: 'not a key' }),
      rejectsWith(/not a readable PEM private key/),
    );
    await assert.rejects(
      CertificateAuthority.load({ ...ec, intermediateCertPem: ec.intermediateKeyPem }),
      rejectsWith(/not a PEM certificate/),
    );
  });
});

describe('describeCertificate', () => {
  it('matches openssl for fingerprints, serial and names', async () => {
    const key = await makeKey('rsa2048');
    const cert = openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile(key),
      '-days',
      '10',
      '-set_serial',
      '0x80a1b2c3d4e5f60718293a4b5c6d7e8f',
      '-subj',
      '/C=CN/ST=Zhejiang/L=Hangzhou/O=Acme Ltd/CN=Acme.Test',
      '-addext',
      'subjectAltName=DNS:Acme.Test,DNS:www.acme.test,IP:192.0.2.1',
    ]);
    const info = describeCertificate(`\uFEFFsome text\r\n${cert.replace(/\n/g, '\r\n')}`);
    assert.equal(info.pem, cert);
    const fp = (alg: string) =>
      openssl(['x509', '-noout', '-fingerprint', `-${alg}`], cert)
        .trim()
        .replace(/^.*Fingerprint=/, '')
        .replace(/:/g, '');
    assert.equal(info.sha1Fingerprint, fp('sha1'));
    assert.equal(info.sha256Fingerprint, fp('sha256'));
    assert.match(info.sha1Fingerprint, /^[0-9A-F]{40}$/);
    assert.match(info.sha256Fingerprint, /^[0-9A-F]{64}$/);
    const serial = openssl(['x509', '-noout', '-serial'], cert)
      .trim()
      .replace(/^serial=/, '');
    assert.equal(info.serialHex, serial.toLowerCase());
    assert.equal(info.serialHex, '80a1b2c3d4e5f60718293a4b5c6d7e8f');
    assert.equal(info.subjectCommonName, 'Acme.Test');
    assert.equal(info.issuerCommonName, 'Acme.Test');
    assert.deepEqual(info.sans, ['acme.test', 'www.acme.test', '192.0.2.1']);
    assert.equal(info.orgName, 'Acme Ltd');
    assert.equal(info.country, 'CN');
    assert.equal(info.province, 'Zhejiang');
    assert.equal(info.city, 'Hangzhou');
    assert.equal(info.keyAlgorithm, 'RSA');
    assert.equal(info.keySize, 2048);
    const dates = openssl(['x509', '-noout', '-startdate', '-enddate'], cert);
    const [start, end] = [/notBefore=(.*)/.exec(dates)?.[1], /notAfter=(.*)/.exec(dates)?.[1]];
    assert.equal(info.notBefore, Date.parse(start ?? ''));
    assert.equal(info.notAfter, Date.parse(end ?? ''));
    assert.equal(info.notAfter - info.notBefore, 10 * DAY);
  });

  it('leaves out absent subject fields and reads EC keys', async () => {
    const key = await makeKey('p384');
    const cert = openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile(key),
      '-subj',
      '/CN=only.test',
      '-days',
      '1',
    ]);
    const info = describeCertificate(cert);
    assert.equal(info.orgName, undefined);
    assert.equal(info.country, undefined);
    assert.deepEqual(info.sans, []);
    assert.equal(info.keyAlgorithm, 'EC');
    assert.equal(info.keySize, 384);
  });

  it('turns every malformed certificate into a PkiError (byte-flip fuzz)', async () => {
    const key = await makeKey('p256');
    const cert = openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile(key),
      '-subj',
      '/O=Acme/CN=fuzz.test',
      '-days',
      '1',
      '-addext',
      'subjectAltName=DNS:fuzz.test',
    ]);
    const der = pemBody(cert);
    let seed = 777;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const copy = Buffer.from(der);
      copy[random() % copy.length] = random() % 256;
      try {
        describeCertificate(armour(copy, 'CERTIFICATE'));
      } catch (err) {
        assert.ok(err instanceof PkiError, `iteration ${i}: ${String(err)}`);
      }
    }
  });

  it('rejects text that holds no certificate', async () => {
    assert.throws(() => describeCertificate('nothing here'), rejectsWith(/not a PEM certificate/));
    const csr = opensslCsr(await makeKey('p256'), '/CN=example.test');
    assert.throws(() => describeCertificate(csr), rejectsWith(/not a PEM certificate/));
    assert.throws(
      () => describeCertificate(armour(pemBody(csr), 'CERTIFICATE')),
      rejectsWith(/not a PEM certificate/),
    );
  });
});
