import { deleteCertificate } from '../domain/certificates.js';
import { requiredId } from './params.js';
import type { Action } from './types.js';

/** api.md 5.3: an uploaded certificate at any time; an issued one once expired or revoked (else OrderStateError). */
export const DeleteUserCertificate: Action = {
  name: 'DeleteUserCertificate',
  async handle(ctx, params) {
    await deleteCertificate(ctx.services, ctx.accountUid, requiredId(params, 'CertId'));
    return {};
  },
};
