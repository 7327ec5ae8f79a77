/** What the certificate and CSR repository actions share: id and key readers, and certificate fields. */
import { certificateInstanceId } from '../domain/certificates.js';
import { readPrivateKey, type PrivateKeyInfo } from '../pki/keys.js';
import { Errors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';
import type { CertificateRow } from '../store/orders.js';
import { fromPki, optionalString, requiredString } from './params.js';

/** A private key parameter (Key), through the shared PEM reader; errors name the parameter. */
export function readKey(params: Params, name: string, required: true): PrivateKeyInfo;
export function readKey(params: Params, name: string, required: boolean): PrivateKeyInfo | undefined;
export function readKey(params: Params, name: string, required: boolean): PrivateKeyInfo | undefined {
  const text = required ? requiredString(params, name) : optionalString(params, name);
  return text === undefined ? undefined : fromPki(name, () => readPrivateKey(text));
}

/** A CSR's Name (api.md 5.7): at most 50 letters, digits, `_`, `-` and `.`. */
export function readCsrName(params: Params): string | undefined {
  const v = optionalString(params, 'Name', { maxLength: 50 });
  if (v !== undefined && !/^[A-Za-z0-9_.-]+$/.test(v))
    throw Errors.invalidParameter('Name', 'a CSR name has only letters, digits, "_", "-" and "."');
  return v;
}

const ymd = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The fields a certificate shows alike in ListUserCertificateOrder (CERT, UPLOAD) and GetUserCertificateDetail. */
export function certificateFields(c: CertificateRow, now: number) {
  const notAfter = Number(c.not_after);
  return {
    InstanceId: certificateInstanceId(c),
    Name: c.name ?? `cert-${c.id}`,
    Sans: c.sans,
    Issuer: c.issuer,
    ...(c.org_name ? { OrgName: c.org_name } : {}),
    ...(c.country ? { Country: c.country } : {}),
    ...(c.province ? { Province: c.province } : {}),
    ...(c.city ? { City: c.city } : {}),
    StartDate: ymd(Number(c.not_before)),
    EndDate: ymd(notAfter),
    Expired: notAfter <= now,
    Fingerprint: c.sha1,
    Sha2: c.sha256,
    SerialNo: c.serial_hex,
    ...(c.resource_group_id ? { ResourceGroupId: c.resource_group_id } : {}),
  };
}

/** The primary name: the subject's Common Name, or the first SAN of a certificate without one. */
export function primaryName(c: CertificateRow): string {
  return c.common_name !== '' ? c.common_name : (c.sans.split(',')[0] ?? '');
}
