/** The shared PEM reader, the private-key reader and the bundle reader: every bad input is a PkiError. */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { orderBundle, readCertificates } from '../../src/pki/bundle.js';
import { PkiError } from '../../src/pki/errors.js';
import { readPrivateKey } from '../../src/pki/keys.js';
import { derToPem, pemToDer, scanPem } from '../../src/pki/pem.js';
import { issue, makeRoot } from '../helpers/certs.js';

const onlyPkiErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PkiError, `not a PkiError: ${String(err)}`);
  }
};

/** Every single-byte change of the DER at a spread of offsets, re-armoured. */
function* flips(pem: string, label: string): Generator<string> {
  const der = pemToDer(pem);
  for (let i = 0; i < der.length; i += Math.max(1, Math.floor(der.length / 150))) {
    for (const v of [0x00, 0xff, (der[i]! + 1) & 0xff]) {
      const copy = Buffer.from(der);
      copy[i] = v;
      yield derToPem(copy, label);
    }
  }
}

describe('scanPem', () => {
  it('finds blocks of any label with text around them, and reports broken ones', () => {
    const a = derToPem(Buffer.from('first block'), 'THING');
    const b = derToPem(Buffer.from('second block'), 'OTHER THING');
    const text = `\uFEFFintro\r\n${a.replace(/\n/g, '\r\n')}middle\n-----BEGIN CUT-----\nAAAA\n${b}outro`;
    const { blocks, broken } = scanPem(text);
    assert.deepEqual(
      blocks.map((x) => [x.label, x.pem]),
      [
        ['THING', a],
        ['OTHER THING', b],
      ],
    );
    assert.deepEqual(broken, [
      { label: 'CUT', message: 'the PEM armour is broken: BEGIN CUT has no matching END CUT line' },
    ]);
  });

  it('refuses UTF-16 text and NUL characters', () => {
    const pem = derToPem(Buffer.from('x'), 'THING');
    for (const text of [
      Buffer.from(`\uFEFF${pem}`, 'utf16le').toString('utf8'),
      Buffer.from(pem, 'utf16le').toString('latin1'),
      `${pem}\u0000`,
    ]) {
      assert.throws(() => scanPem(text), /UTF-16/);
    }
  });
});

describe('readPrivateKey', () => {
  it('turns every damaged key into a PkiError (byte-flip fuzz)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    for (const [pem, label] of [
      [rsa.export({ type: 'pkcs1', format: 'pem' }).toString(), 'RSA PRIVATE KEY'],
      [ec.export({ type: 'sec1', format: 'pem' }).toString(), 'EC PRIVATE KEY'],
      [ec.export({ type: 'pkcs8', format: 'pem' }).toString(), 'PRIVATE KEY'],
    ] as const) {
      for (const damaged of flips(pem, label)) onlyPkiErrors(() => readPrivateKey(damaged));
    }
  });

  it('reads the structure from the DER and returns the key in it', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const sec1 = ec.export({ type: 'sec1', format: 'pem' }).toString();
    const relabelled = sec1.replace(/EC PRIVATE KEY/g, 'PRIVATE KEY');
    const k = readPrivateKey(relabelled);
    assert.deepEqual([k.algorithm, k.size, k.pem], ['EC', 384, sec1]);
    assert.ok(createPrivateKey(k.pem).equals(ec));
  });
});

describe('readCertificates and orderBundle', () => {
  it('turns every damaged certificate into a PkiError (byte-flip fuzz)', () => {
    const root = makeRoot('Fuzz Root', 'ec');
    const leaf = issue(root, 'fuzz.example.test', { kind: 'ec', sans: ['fuzz.example.test'] });
    const key = readPrivateKey(leaf.key).key;
    for (const damaged of flips(leaf.cert, 'CERTIFICATE')) {
      onlyPkiErrors(() => orderBundle(readCertificates(damaged + root.cert), key));
    }
  });
});
