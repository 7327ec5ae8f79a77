import { uploadCsr } from '../domain/csrs.js';
import { readCsr } from './applications.js';
import { readCsrName, readKey } from './repository.js';
import type { Action } from './types.js';

/** api.md 5.11: a CSR checked as applications check theirs (decisions.md 19), with its key if given. */
export const UploadCsr: Action = {
  name: 'UploadCsr',
  async handle(ctx, params) {
    const csr = (await readCsr(params, true))!;
    const key = readKey(params, 'Key', false);
    const name = readCsrName(params);
    const row = await uploadCsr(ctx.services, ctx.accountUid, csr, key, name);
    return { CsrId: Number(row.id) };
  },
};
