/** The CSR repository (api.md 5.7 to 5.12): CSRs the service made with their keys, or uploaded ones. */
import { randomId } from '../ids.js';
import { buildCsr, parseCsr, type CsrSubject, type ParsedCsr } from '../pki/csr.js';
import { publicKeySha256, type PrivateKeyInfo } from '../pki/keys.js';
import { Errors } from '../rpc/errors.js';
import type { CsrRow } from '../store/csrs.js';
import type { Services } from './context.js';

const keyContext = (csrId: number) => `csr-key:${csrId}`;

function rowOf(
  id: number,
  accountUid: number,
  source: CsrRow['source'],
  csr: ParsedCsr,
  name: string | undefined,
  keySealed: string | null,
  now: number,
): CsrRow {
  return {
    id,
    account_uid: accountUid,
    source,
    name: name ?? null,
    csr_pem: csr.pem,
    key_sealed: keySealed,
    algorithm: csr.keyAlgorithm === 'EC' ? 'ECC' : 'RSA',
    key_size: csr.keySize,
    key_sha256: publicKeySha256(csr.publicKey),
    common_name: csr.commonName,
    sans: csr.sans.join(','),
    country_code: csr.subject.country ?? null,
    province: csr.subject.province ?? null,
    locality: csr.subject.locality ?? null,
    corp_name: csr.subject.organization ?? null,
    department: csr.subject.organizationalUnit ?? null,
    created_at: now,
    updated_at: now,
  };
}

export interface NewCsr {
  algorithm: 'RSA' | 'EC';
  keySize: number;
  subject: CsrSubject;
  /** The subjectAltName dNSNames: the Common Name first, lower-cased, de-duplicated. */
  names: string[];
  name?: string;
}

/** CreateCsr: a key pair made off the event loop, a CSR signed with it, the key sealed at rest. */
export async function createCsr(s: Services, accountUid: number, input: NewCsr): Promise<CsrRow> {
  const pair = await s.keys.take(input.algorithm, input.keySize);
  const csr = parseCsr(await buildCsr(input.subject, input.names, pair.privateKey));
  const id = randomId();
  const row = rowOf(
    id,
    accountUid,
    'create',
    csr,
    input.name,
    s.masterKey.seal(pair.privateKeyPem, keyContext(id)),
    s.clock.now(),
  );
  await s.store.csrs.insert(row);
  return row;
}

/** The key must hold the CSR's public key (compared by SPKI digest); otherwise InvalidParameter naming Key. */
function checkKeyMatches(csrKeySha256: string, key: PrivateKeyInfo): void {
  if (publicKeySha256(key.key) !== csrKeySha256)
    throw Errors.invalidParameter('Key', "the private key does not match the CSR's public key");
}

/** UploadCsr: a checked CSR (decisions.md 19) and, optionally, its key. */
export async function uploadCsr(
  s: Services,
  accountUid: number,
  csr: ParsedCsr,
  key: PrivateKeyInfo | undefined,
  name: string | undefined,
): Promise<CsrRow> {
  if (key) checkKeyMatches(publicKeySha256(csr.publicKey), key);
  const id = randomId();
  const sealed = key ? s.masterKey.seal(key.pem, keyContext(id)) : null;
  const row = rowOf(id, accountUid, 'upload', csr, name, sealed, s.clock.now());
  await s.store.csrs.insert(row);
  return row;
}

/** A CSR of the account; an unknown or foreign CsrId is NotFoundCertificate (decisions.md 5). */
export async function getCsr(s: Services, accountUid: number, csrId: number): Promise<CsrRow> {
  const row = await s.store.csrs.find(accountUid, csrId);
  if (!row) throw Errors.notFoundCertificate('CsrId', csrId);
  return row;
}

export function csrKeyPem(s: Services, row: CsrRow): string | undefined {
  return row.key_sealed ? s.masterKey.openString(row.key_sealed, keyContext(Number(row.id))) : undefined;
}

/** UpdateCsr: replaces the key, which must match the CSR. */
export async function updateCsrKey(
  s: Services,
  accountUid: number,
  csrId: number,
  key: PrivateKeyInfo,
): Promise<void> {
  const row = await getCsr(s, accountUid, csrId);
  checkKeyMatches(row.key_sha256, key);
  const sealed = s.masterKey.seal(key.pem, keyContext(csrId));
  if (!(await s.store.csrs.setKey(accountUid, csrId, sealed, s.clock.now())))
    throw Errors.notFoundCertificate('CsrId', csrId);
}

export async function deleteCsr(s: Services, accountUid: number, csrId: number): Promise<void> {
  if (!(await s.store.csrs.delete(accountUid, csrId))) throw Errors.notFoundCertificate('CsrId', csrId);
}
