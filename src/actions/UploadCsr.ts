import { uploadCsr } from '../domain/csrs.js';
import { normalizeName, readCsr } from './applications.js';
import { readCsrName, readKey } from './repository.js';
import type { Action } from './types.js';

/**
 * api.md 5.11: a CSR checked as applications check theirs (decisions.md 19), with its key if given. Its
 * Common Name must be a name the applications would take (the same domain-name check, errors naming Csr);
 * it is stored as the CSR has it, lower-cased, and may be over 64 characters.
 */
export const UploadCsr: Action = {
  name: 'UploadCsr',
  async handle(ctx, params) {
    const csr = (await readCsr(params, true))!;
    normalizeName(csr.commonName, 'Csr');
    const key = readKey(params, 'Key', false);
    const name = readCsrName(params);
    const row = await uploadCsr(ctx.services, ctx.accountUid, csr, key, name);
    return { CsrId: Number(row.id) };
  },
};
