/** The certificate repository: uploads, details, deletion and resource groups (api.md 5.1 to 5.3, 5.14). */
import { randomId } from '../ids.js';
import { chainEntries, type BundleCertificate, type OrderedBundle } from '../pki/bundle.js';
import type { CertificateInfo } from '../pki/certificate.js';
import { Errors } from '../rpc/errors.js';
import type { CertificateRow } from '../store/orders.js';
import type { Services } from './context.js';

const DAY = 86_400_000;

/** Resource ids: `cas-upload-<base36>` and `cas-cert-<base36>` for certificates, `cas-order-<base36>` for orders. */
export function certificateInstanceId(c: Pick<CertificateRow, 'id' | 'source'>): string {
  return `cas-${c.source === 'upload' ? 'upload' : 'cert'}-${Number(c.id).toString(36)}`;
}

export function orderInstanceId(orderId: number): string {
  return `cas-order-${orderId.toString(36)}`;
}

/** What an InstanceId (or a bare numeric id, or a `<CertId>-<region>` CertIdentifier) points at. */
export function parseResourceId(
  text: string,
  regionId: string,
): { kind: 'certificate' | 'order' | 'any'; id: number } | undefined {
  const toId = (n: number) => (Number.isSafeInteger(n) && n > 0 ? n : undefined);
  let m = /^cas-(upload|cert|order)-([0-9a-z]{1,11})$/.exec(text);
  if (m) {
    const id = toId(parseInt(m[2]!, 36));
    return id === undefined ? undefined : { kind: m[1] === 'order' ? 'order' : 'certificate', id };
  }
  m = /^(\d{1,16})(-.+)?$/.exec(text);
  if (m && (m[2] === undefined || m[2] === `-${regionId}`)) {
    const id = toId(Number(m[1]));
    return id === undefined ? undefined : { kind: m[2] ? 'certificate' : 'any', id };
  }
  return undefined;
}

/**
 * The resources a ListUserCertificateOrder Keyword names in full (api.md 4.10: "bound domain or resource
 * id"): a certificate's InstanceId (`cas-upload-…`, `cas-cert-…`, any case) or CertIdentifier, or an order's
 * InstanceId (`cas-order-…`, for the certificate issued to it). Parts of the CertId are matched in the store.
 */
export function keywordResourceIds(
  keyword: string,
  regionId: string,
): { certificateId?: number; source?: 'upload' | 'issued'; orderId?: number } {
  const text = keyword.trim().toLowerCase();
  const target = parseResourceId(text, regionId);
  if (!target || target.kind === 'any') return {};
  if (target.kind === 'order') return { orderId: target.id };
  const source = text.startsWith('cas-upload-')
    ? 'upload'
    : text.startsWith('cas-cert-')
      ? 'issued'
      : undefined;
  return { certificateId: target.id, ...(source ? { source } : {}) };
}

/** What a certificate row holds about the certificate itself, read from it (issued and uploaded alike). */
export function certificateColumns(info: CertificateInfo) {
  return {
    cert_pem: info.pem,
    common_name: info.subjectCommonName,
    sans: info.sans.join(','),
    serial_hex: info.serialHex,
    issuer: info.issuerCommonName,
    key_algorithm: info.keyAlgorithm,
    key_size: info.keySize,
    not_before: info.notBefore,
    not_after: info.notAfter,
    sha1: info.sha1Fingerprint,
    sha256: info.sha256Fingerprint,
    org_name: info.orgName ?? null,
    country: info.country ?? null,
    province: info.province ?? null,
    city: info.city ?? null,
  };
}

/** What a certificate's sealed key is bound to (secrets.ts), issued or uploaded. */
export const certificateKeyContext = (certId: number) => `certificate-key:${certId}`;

export interface UploadInput {
  name: string;
  bundle: OrderedBundle;
  /** The key, normalised PEM. */
  keyPem: string;
  resourceGroupId?: string;
  tags: Array<{ key: string; value: string }>;
}

/**
 * Stores an uploaded certificate: the leaf, its chain leaf first, the key sealed (decisions.md 20). A name
 * the account already uses is NameRepeat, and nothing is stored.
 */
export async function uploadCertificate(
  s: Services,
  accountUid: number,
  input: UploadInput,
): Promise<CertificateRow> {
  const id = randomId();
  const leaf = input.bundle.leaf;
  const row: CertificateRow = {
    id,
    account_uid: accountUid,
    order_id: null,
    source: 'upload',
    name: input.name,
    ...certificateColumns(leaf),
    chain_pem: input.bundle.certificates
      .slice(1)
      .map((c: BundleCertificate) => c.pem)
      .join(''),
    key_sealed: s.masterKey.seal(input.keyPem, certificateKeyContext(id)),
    resource_group_id: input.resourceGroupId ?? null,
    revoked_at: null,
    revoke_reason: null,
    created_at: s.clock.now(),
    deleted_at: null,
    tags: input.tags.length ? JSON.stringify(input.tags) : null,
  };
  if ((await s.store.repository.insertUpload(row)) === 'name-taken') throw Errors.nameRepeat(input.name);
  return row;
}

/** A certificate of the account that is not deleted; another account's id is exactly like an unknown one. */
export async function getCertificate(
  s: Services,
  accountUid: number,
  certId: number,
): Promise<CertificateRow> {
  const row = await s.store.repository.find(accountUid, certId);
  if (!row) throw Errors.notFoundCertificate('CertId', certId);
  return row;
}

/**
 * DeleteUserCertificate (api.md 5.3): an uploaded certificate at any time; an issued one only once expired or
 * revoked, otherwise OrderStateError. The key is destroyed; the row stays as its order's record.
 */
export async function deleteCertificate(s: Services, accountUid: number, certId: number): Promise<void> {
  const row = await getCertificate(s, accountUid, certId);
  if (await s.store.repository.delete(accountUid, certId, s.clock.now())) return;
  if (!(await s.store.repository.find(accountUid, certId)))
    throw Errors.notFoundCertificate('CertId', certId);
  throw Errors.orderStateError(
    `The certificate ${certId} was issued by this service and is valid until ` +
      `${new Date(Number(row.not_after)).toISOString().slice(0, 10)}: revoke it first ` +
      `(CancelCertificateForPackageRequest on order ${row.order_id}) or delete it once it has expired.`,
  );
}

/** GetUserCertificateDetail's CertChain: every certificate, leaf first, with the whole days it has left. */
export function certificateChain(row: CertificateRow, now: number) {
  return chainEntries(row.cert_pem + row.chain_pem).map((c) => ({
    CommonName: c.commonName,
    IssuerCommonName: c.issuerCommonName,
    NotBefore: c.notBefore,
    NotAfter: c.notAfter,
    RemainDay: Math.max(0, Math.floor((c.notAfter - now) / DAY)),
  }));
}

/**
 * MoveResourceGroup (api.md 5.14): labels a certificate (`Certificate`) or an order (`instance`, with its
 * certificate) with a resource group. Unknown and foreign ids are NotFoundCertificate and NotFoundOrder.
 */
export async function moveResourceGroup(
  s: Services,
  accountUid: number,
  target: { type: 'Certificate' | 'instance'; id: number; resourceId: string },
  resourceGroupId: string,
): Promise<void> {
  const table = target.type === 'Certificate' ? 'certificates' : 'orders';
  const moved = await s.store.transaction((tx) =>
    tx.repository.setResourceGroup(table, accountUid, target.id, resourceGroupId),
  );
  if (!moved) {
    throw target.type === 'Certificate'
      ? Errors.notFoundCertificate('ResourceId', target.resourceId)
      : Errors.notFoundOrder(target.resourceId);
  }
}
