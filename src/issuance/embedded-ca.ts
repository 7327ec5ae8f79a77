import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { CertificateAuthority, createCa, type CaFiles } from '../pki/ca.js';
import type { MasterKey } from '../secrets.js';
import type { MetaStore } from '../store/meta.js';
import type { Issued, IssueRequest, Issuer } from './issuer.js';

export class CaSetupError extends Error {}

const KEY_CONTEXT = (which: string) => `ca-key:${which}`;

/**
 * The embedded CA: created in <data-dir>/ca on first start (keys sealed with the master key), or loaded
 * from existing files named in config.
 */
export class EmbeddedCa implements Issuer {
  private constructor(private readonly ca: CertificateAuthority) {}

  get rootPem(): string {
    return this.ca.rootPem;
  }
  get chainPem(): string {
    return this.ca.chainPem;
  }

  issue(req: IssueRequest): Promise<Issued> {
    return this.ca.issueLeaf(req).then((r) => ({ ...r, chainPem: this.ca.chainPem }));
  }

  async issueMany(reqs: IssueRequest[]): Promise<Array<Issued | Error>> {
    const leaves = await this.ca.issueLeaves(reqs);
    return leaves.map((r) => (r instanceof Error ? r : { ...r, chainPem: this.ca.chainPem }));
  }

  close(): Promise<void> {
    return this.ca.close();
  }

  /**
   * `shared`, when given (PostgreSQL), keeps the embedded CA in the database instead of the data folder, so
   * every server of a cluster signs with the same CA and only the first one to start creates it.
   */
  static async open(
    config: Config,
    masterKey: MasterKey,
    now: number,
    shared?: MetaStore,
  ): Promise<EmbeddedCa> {
    let files: CaFiles;
    if (config.caCertFile && config.caKeyFile && config.caRootFile) {
      const read = (f: string) => {
        try {
          return readFileSync(f, 'utf8');
        } catch (err) {
          throw new CaSetupError(`cannot read CA file ${f}: ${(err as Error).message}`);
        }
      };
      files = {
        intermediateCertPem: read(config.caCertFile),
        intermediateKeyPem: read(config.caKeyFile),
        rootCertPem: read(config.caRootFile),
        rootKeyPem: '',
      };
    } else if (shared) {
      files = await loadOrCreateShared(config, masterKey, now, shared);
    } else {
      files = await loadOrCreateEmbedded(config, masterKey, now);
    }
    try {
      return new EmbeddedCa(
        await CertificateAuthority.load(files, { signingThreads: config.signingThreads }),
      );
    } catch (err) {
      throw new CaSetupError(`the CA cannot be used: ${(err as Error).message}`);
    }
  }
}

async function loadOrCreateEmbedded(config: Config, masterKey: MasterKey, now: number): Promise<CaFiles> {
  const dir = path.join(config.dataDir, 'ca');
  const f = {
    root: path.join(dir, 'root.pem'),
    chain: path.join(dir, 'chain.pem'),
    rootKey: path.join(dir, 'root.key.sealed'),
    key: path.join(dir, 'intermediate.key.sealed'),
  };
  if (existsSync(f.chain)) {
    return {
      rootCertPem: readFileSync(f.root, 'utf8'),
      intermediateCertPem: readFileSync(f.chain, 'utf8'),
      rootKeyPem: masterKey.openString(readFileSync(f.rootKey, 'utf8').trim(), KEY_CONTEXT('root')),
      intermediateKeyPem: masterKey.openString(
        readFileSync(f.key, 'utf8').trim(),
        KEY_CONTEXT('intermediate'),
      ),
    };
  }
  const files = await createCa({ algorithm: config.caAlgorithm, name: config.caName, now });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(f.rootKey, masterKey.seal(files.rootKeyPem, KEY_CONTEXT('root')) + '\n', { mode: 0o600 });
  writeFileSync(f.key, masterKey.seal(files.intermediateKeyPem, KEY_CONTEXT('intermediate')) + '\n', {
    mode: 0o600,
  });
  writeFileSync(f.root, files.rootCertPem, { mode: 0o644 });
  // chain.pem last: its presence means the CA is complete.
  writeFileSync(f.chain, files.intermediateCertPem, { mode: 0o644 });
  return files;
}

const SHARED_CA_KEY = 'embedded_ca';

interface SharedCa {
  rootCertPem: string;
  intermediateCertPem: string;
  rootKeySealed: string;
  intermediateKeySealed: string;
}

async function loadOrCreateShared(
  config: Config,
  masterKey: MasterKey,
  now: number,
  meta: MetaStore,
): Promise<CaFiles> {
  let stored = await meta.get(SHARED_CA_KEY);
  if (stored === undefined) {
    const files = await createCa({ algorithm: config.caAlgorithm, name: config.caName, now });
    const record: SharedCa = {
      rootCertPem: files.rootCertPem,
      intermediateCertPem: files.intermediateCertPem,
      rootKeySealed: masterKey.seal(files.rootKeyPem, KEY_CONTEXT('root')),
      intermediateKeySealed: masterKey.seal(files.intermediateKeyPem, KEY_CONTEXT('intermediate')),
    };
    // Two servers starting together may both create one; the first stored wins and both use it.
    stored = await meta.putIfAbsent(SHARED_CA_KEY, JSON.stringify(record));
  }
  const ca = JSON.parse(stored) as SharedCa;
  return {
    rootCertPem: ca.rootCertPem,
    intermediateCertPem: ca.intermediateCertPem,
    rootKeyPem: masterKey.openString(ca.rootKeySealed, KEY_CONTEXT('root')),
    intermediateKeyPem: masterKey.openString(ca.intermediateKeySealed, KEY_CONTEXT('intermediate')),
  };
}
