import type { KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../pki/certificate.js';
import type { SpkiKey } from '../pki/leaf.js';

/** What issuance needs from a CA; the embedded CA first, an upstream ACME CA later. */
export interface IssueRequest {
  names: string[];
  publicKey: KeyObject | SpkiKey;
  notBefore: number;
  notAfter: number;
}

export interface Issued {
  leafPem: string;
  /** Leaf followed by the chain, PEM with '\n' (decisions.md 17). */
  fullChainPem: string;
  chainPem: string;
  serialHex: string;
  notBefore: number;
  notAfter: number;
  /** What describeCertificate reads from the leaf. */
  info: CertificateInfo;
}

export interface Issuer {
  readonly rootPem: string;
  readonly chainPem: string;
  issue(req: IssueRequest): Promise<Issued>;
  /** Many at once (signed on the signing threads, when there are any); each result is the certificate or why not. */
  issueMany(reqs: IssueRequest[]): Promise<Array<Issued | Error>>;
  /** Ends what the issuer started (signing threads). */
  close(): Promise<void>;
}
