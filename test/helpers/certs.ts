/**
 * Certificate fixtures made at test time with openssl and node:crypto: CA chains of any key type, leaves with
 * chosen names and dates, keys in every PEM structure.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openssl } from './pki.js';

export type KeyKind = 'rsa' | 'ec' | 'ec384' | 'ed25519';

/** A fresh private key, PKCS#8 PEM. */
export function newKey(kind: KeyKind): string {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: kind === 'ec' ? 'prime256v1' : 'secp384r1' });
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The key in another structure: PKCS#1 (RSA), SEC1 (EC), or its public half (SPKI). */
export function keyAs(pem: string, type: 'pkcs1' | 'sec1' | 'spki'): string {
  if (type === 'spki') return createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  return createPrivateKey(pem).export({ type, format: 'pem' }).toString();
}

export interface Pair {
  cert: string;
  key: string;
}

function withDir<T>(fn: (file: (name: string, content?: string) => string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'opencas-certs-'));
  try {
    return fn((name, content) => {
      const f = path.join(dir, name);
      if (content !== undefined) writeFileSync(f, content);
      return f;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CA_EXT =
  'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';

/** A self-signed root. */
export function makeRoot(cn: string, kind: KeyKind = 'ec'): Pair {
  const key = newKey(kind);
  return withDir((file) => {
    const cert = openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      file('k.pem', key),
      '-subj',
      `/O=Fixture/CN=${cn}`,
      '-days',
      '3650',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return { cert, key };
  });
}

export interface IssueOptions {
  kind?: KeyKind;
  /** Reuse this key instead of making one. */
  key?: string;
  sans?: string[];
  ca?: boolean;
  /** openssl ca dates, `YYYYMMDDHHMMSSZ`, for expired and not-yet-valid certificates. */
  startDate?: string;
  endDate?: string;
  subject?: string;
}

/** A certificate for `cn` signed by `issuer` (a leaf, or an intermediate with `ca: true`). */
export function issue(issuer: Pair, cn: string, opts: IssueOptions = {}): Pair {
  const key = opts.key ?? newKey(opts.kind ?? 'ec');
  return withDir((file) => {
    const csr = openssl(['req', '-new', '-key', file('k.pem', key), '-subj', opts.subject ?? `/CN=${cn}`]);
    const ext = opts.ca
      ? CA_EXT
      : `basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n` +
        (opts.sans?.length ? `subjectAltName=${opts.sans.map((s) => `DNS:${s}`).join(',')}\n` : '');
    file('ext.cnf', ext);
    file('issuer.pem', issuer.cert);
    file('issuer.key', issuer.key);
    file('req.csr', csr);
    if (opts.startDate || opts.endDate) {
      file('index.txt', '');
      file('serial', '1000\n');
      file(
        'ca.cnf',
        [
          '[ca]',
          'default_ca = d',
          '[d]',
          `database = ${file('index.txt')}`,
          `new_certs_dir = ${path.dirname(file('index.txt'))}`,
          `serial = ${file('serial')}`,
          'default_md = sha256',
          'policy = p',
          'unique_subject = no',
          '[p]',
          'commonName = supplied',
          '',
        ].join('\n'),
      );
      openssl([
        'ca',
        '-batch',
        '-notext',
        '-config',
        file('ca.cnf'),
        '-cert',
        file('issuer.pem'),
        '-keyfile',
        file('issuer.key'),
        '-in',
        file('req.csr'),
        '-out',
        file('out.pem'),
        '-extfile',
        file('ext.cnf'),
        '-startdate',
        opts.startDate ?? '20200101000000Z',
        '-enddate',
        opts.endDate ?? '20991231000000Z',
      ]);
      return { cert: openssl(['x509', '-in', file('out.pem')]), key };
    }
    const cert = openssl([
      'x509',
      '-req',
      '-in',
      file('req.csr'),
      '-CA',
      file('issuer.pem'),
      '-CAkey',
      file('issuer.key'),
      '-set_serial',
      `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('hex')}`,
      '-days',
      '365',
      '-extfile',
      file('ext.cnf'),
    ]);
    return { cert, key };
  });
}

export interface Chain {
  root: Pair;
  inter: Pair;
  leaf: Pair;
}

/** root → intermediate → leaf, each of the given key kind. */
export function makeChain(
  cn: string,
  kinds: { root?: KeyKind; inter?: KeyKind; leaf?: KeyKind } = {},
  leafOpts: IssueOptions = {},
): Chain {
  const root = makeRoot(`${cn} Root`, kinds.root ?? 'ec');
  const inter = issue(root, `${cn} Intermediate`, { kind: kinds.inter ?? 'ec', ca: true });
  const leaf = issue(inter, cn, { kind: kinds.leaf ?? 'ec', sans: [cn], ...leafOpts });
  return { root, inter, leaf };
}

/** `openssl x509 -fingerprint -sha1|-sha256`: upper-case hex without colons. */
export function fingerprint(cert: string, alg: 'sha1' | 'sha256'): string {
  const out = openssl(['x509', '-noout', '-fingerprint', `-${alg}`], cert);
  return out.split('=')[1]!.trim().replace(/:/g, '');
}

export function serialHex(cert: string): string {
  return openssl(['x509', '-noout', '-serial'], cert).split('=')[1]!.trim().toLowerCase();
}
