import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets at rest (AccessKey secrets, private keys) are sealed with AES-256-GCM under the master key.
 * Each ciphertext is bound to a context string (the row it belongs to) as additional authenticated data,
 * so a sealed value copied into another row does not open.
 */
export class MasterKey {
  private constructor(private readonly key: Buffer) {}

  static fromBytes(key: Buffer): MasterKey {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    return new MasterKey(Buffer.from(key));
  }

  /** Parses OPENCAS_MASTER_KEY: 64 hex digits or base64 of 32 bytes. */
  static parse(text: string): MasterKey {
    const t = text.trim();
    if (/^[0-9a-fA-F]{64}$/.test(t)) return MasterKey.fromBytes(Buffer.from(t, 'hex'));
    const b = Buffer.from(t, 'base64');
    if (b.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(t)) return MasterKey.fromBytes(b);
    throw new Error('OPENCAS_MASTER_KEY must be 32 bytes written as 64 hex digits or base64');
  }

  /** Loads <dataDir>/master.key, creating it (mode 0600) on first use. */
  static loadOrCreateFile(dataDir: string): MasterKey {
    const file = path.join(dataDir, 'master.key');
    if (existsSync(file)) {
      return MasterKey.parse(readFileSync(file, 'utf8'));
    }
    mkdirSync(dataDir, { recursive: true });
    // Written whole under another name, then linked into place: a second process starting at the same
    // moment either wins the link or reads the complete file, never half of one.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
    return MasterKey.parse(readFileSync(file, 'utf8'));
  }

  seal(plaintext: string | Buffer, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return 'v1:' + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  open(sealed: string, context: string): Buffer {
    if (!sealed.startsWith('v1:')) throw new Error('unknown sealed-secret format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }

  openString(sealed: string, context: string): string {
    return this.open(sealed, context).toString('utf8');
  }
}
