import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

/** Runs openssl and returns stdout (throws with stderr on failure). */
export function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface CsrFixture {
  csr: string;
  key: string;
}

/** A CSR made by openssl: `key` is an openssl -newkey spec such as rsa:2048 or ec (P-256 by default). */
export function makeCsr(
  cn: string | null,
  key: 'rsa:2048' | 'rsa:1024' | 'ec' | 'ec384' = 'ec',
  sans: string[] = [],
): CsrFixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'opencas-csr-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    if (key === 'ec' || key === 'ec384') {
      openssl([
        'ecparam',
        '-name',
        key === 'ec' ? 'prime256v1' : 'secp384r1',
        '-genkey',
        '-noout',
        '-out',
        keyFile,
      ]);
    } else {
      openssl(['genrsa', '-out', keyFile, key.split(':')[1]!]);
    }
    const args = ['req', '-new', '-key', keyFile, '-subj', cn === null ? '/O=No CN Ltd' : `/CN=${cn}`];
    if (sans.length) args.push('-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`);
    const csr = openssl(args);
    return { csr, key: openssl(['pkey', '-in', keyFile]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl verify -CAfile root -untrusted chain leaf`: returns its output (throws when it fails). */
export function opensslVerify(rootPem: string, chainPem: string, leafPem: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'opencas-verify-'));
  try {
    const f = (n: string, c: string) => {
      writeFileSync(path.join(dir, n), c);
      return path.join(dir, n);
    };
    return openssl([
      'verify',
      '-CAfile',
      f('root.pem', rootPem),
      '-untrusted',
      f('chain.pem', chainPem),
      f('leaf.pem', leafPem),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real TLS handshake: a server with the certificate chain and key, a client trusting only the root. */
export async function tlsHandshake(
  fullChainPem: string,
  keyPem: string,
  rootPem: string,
  servername: string,
): Promise<boolean> {
  const server = tls.createServer({ cert: fullChainPem, key: keyPem }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise<boolean>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername, ca: rootPem }, () => {
        resolve(socket.authorized);
        socket.end();
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----\n?/g) ?? [];
}
