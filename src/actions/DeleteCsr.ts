import { deleteCsr } from '../domain/csrs.js';
import { requiredId } from './params.js';
import type { Action } from './types.js';

/** api.md 5.12: deletes a CSR and its key. */
export const DeleteCsr: Action = {
  name: 'DeleteCsr',
  async handle(ctx, params) {
    await deleteCsr(ctx.services, ctx.accountUid, requiredId(params, 'CsrId'));
    return {};
  },
};
