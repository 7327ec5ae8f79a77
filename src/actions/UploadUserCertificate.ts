import { controlCharacterIn } from '../pki/certificate.js';
import { certificateInstanceId, uploadCertificate } from '../domain/certificates.js';
import { KeyMismatchError, orderBundle, readCertificates } from '../pki/bundle.js';
import { PkiError } from '../pki/errors.js';
import { Errors } from '../rpc/errors.js';
import { fromPki, optionalResourceGroupId, optionalString, readTags, requiredString } from './params.js';
import { readKey } from './repository.js';
import type { Action } from './types.js';

const SM_PARAMS = ['EncryptCert', 'EncryptPrivateKey', 'SignCert', 'SignPrivateKey'];

/**
 * api.md 5.1 and decisions.md 20: a certificate from another CA with its key. `Name` is required and unique in
 * the account; the leaf is the certificate that matches `Key`, wherever it stands in `Cert`.
 */
export const UploadUserCertificate: Action = {
  name: 'UploadUserCertificate',
  async handle(ctx, params) {
    // 64 characters (code points, as every length here), so a name of emoji may be 128 UTF-16 units.
    const name = requiredString(params, 'Name', { maxLength: 64 });
    if (name.trim() === '') throw Errors.invalidParameter('Name', 'a name must not be blank');
    if (controlCharacterIn(name) !== undefined)
      throw Errors.invalidParameter('Name', 'a name may not contain control characters');
    if (optionalString(params, 'Cert') === undefined) {
      const sm = SM_PARAMS.find((p) => optionalString(params, p) !== undefined);
      if (sm)
        throw Errors.invalidParameter(
          sm,
          'SM (ShangMi) dual certificates are not supported; upload Cert and Key',
        );
    }
    const certText = requiredString(params, 'Cert');
    const key = readKey(params, 'Key', true);
    const resourceGroupId = optionalResourceGroupId(params);
    const tags = readTags(params);
    const certs = fromPki('Cert', () => readCertificates(certText));
    let bundle;
    try {
      bundle = orderBundle(certs, key.key);
    } catch (err) {
      if (err instanceof KeyMismatchError)
        throw Errors.invalidParameter('Key', `${err.message} (no certificate in Cert holds its public key)`);
      if (err instanceof PkiError) throw Errors.invalidParameter('Cert', err.message);
      throw err;
    }
    const row = await uploadCertificate(ctx.services, ctx.accountUid, {
      name,
      bundle,
      keyPem: key.pem,
      tags,
      ...(resourceGroupId ? { resourceGroupId } : {}),
    });
    return { CertId: Number(row.id), ResourceId: certificateInstanceId(row) };
  },
};
