import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseCsr } from '../../src/pki/csr.js';
import { PkiError } from '../../src/pki/errors.js';

// A minimal DER writer, enough to hand-build a PKCS#10 request with an RSA key of any exponent.
const derLength = (n: number) =>
  n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
const node = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const integer = (b: Buffer) => node(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const bitString = (b: Buffer) => node(0x03, Buffer.from([0]), b);
const NULL = Buffer.from([0x05, 0x00]);
const RSA_ENCRYPTION = node(0x06, Buffer.from('2a864886f70d010101', 'hex'));
const SHA256_WITH_RSA = node(0x06, Buffer.from('2a864886f70d01010b', 'hex'));
const COMMON_NAME = node(0x06, Buffer.from('550403', 'hex'));
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** A CSR whose RSA key has public exponent 1: the "signature" is just the padded digest, so it verifies. */
function exponentOneCsr(cn: string): string {
  const modulus = randomBytes(256);
  modulus[0] = modulus[0]! | 0xc0;
  modulus[255] = modulus[255]! | 1;
  const spki = node(
    0x30,
    node(0x30, RSA_ENCRYPTION, NULL),
    bitString(node(0x30, integer(modulus), integer(Buffer.from([1])))),
  );
  const subject = node(0x30, node(0x31, node(0x30, COMMON_NAME, node(0x0c, Buffer.from(cn)))));
  const info = node(0x30, integer(Buffer.from([0])), subject, spki, Buffer.from([0xa0, 0x00]));
  const digestInfo = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, createHash('sha256').update(info).digest()]);
  const signature = Buffer.concat([
    Buffer.from([0x00, 0x01]),
    Buffer.alloc(256 - 3 - digestInfo.length, 0xff),
    Buffer.from([0x00]),
    digestInfo,
  ]);
  const der = node(0x30, info, node(0x30, SHA256_WITH_RSA, NULL), bitString(signature));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

describe('parseCsr: RSA public exponent', () => {
  it('refuses a key with exponent 1, whose self-signature verifies trivially', () => {
    assert.throws(
      () => parseCsr(exponentOneCsr('e1.example.test')),
      (err: unknown) => {
        assert.ok(err instanceof PkiError);
        assert.match(err.message, /public exponent 1; an odd exponent of at least 3 is required/);
        return true;
      },
    );
  });
});
