import { csrKeyPem, getCsr } from '../domain/csrs.js';
import { requiredId } from './params.js';
import type { Action } from './types.js';

/** api.md 5.9: the CSR and, when the service holds it, its private key. */
export const GetCsrDetail: Action = {
  name: 'GetCsrDetail',
  async handle(ctx, params) {
    const row = await getCsr(ctx.services, ctx.accountUid, requiredId(params, 'CsrId'));
    const key = csrKeyPem(ctx.services, row);
    return { Csr: row.csr_pem, ...(key !== undefined ? { PrivateKey: key } : {}) };
  },
};
