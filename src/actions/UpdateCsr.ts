import { updateCsrKey } from '../domain/csrs.js';
import { requiredId } from './params.js';
import { readKey } from './repository.js';
import type { Action } from './types.js';

/** api.md 5.10: replaces a CSR's private key with one that matches the CSR. */
export const UpdateCsr: Action = {
  name: 'UpdateCsr',
  async handle(ctx, params) {
    const csrId = requiredId(params, 'CsrId');
    const key = readKey(params, 'Key', true);
    await updateCsrKey(ctx.services, ctx.accountUid, csrId, key);
    return {};
  },
};
