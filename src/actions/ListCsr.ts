import type { CsrRow } from '../store/csrs.js';
import { optionalEnum, optionalString, pageBody, readPaging } from './params.js';
import type { Action } from './types.js';

function csrEntry(c: CsrRow) {
  return {
    CsrId: Number(c.id),
    Name: c.name ?? `csr-${c.id}`,
    Algorithm: c.algorithm,
    KeySize: Number(c.key_size),
    CommonName: c.common_name,
    Sans: c.sans,
    ...(c.country_code ? { CountryCode: c.country_code } : {}),
    ...(c.province ? { Province: c.province } : {}),
    ...(c.locality ? { Locality: c.locality } : {}),
    ...(c.corp_name ? { CorpName: c.corp_name } : {}),
    ...(c.department ? { Department: c.department } : {}),
    HasPrivateKey: c.key_sealed !== null,
    KeySha2: c.key_sha256,
  };
}

/** api.md 5.8: the account's CSRs, newest first; `KeyWord` (capital W) matches name, CN or SANs. */
export const ListCsr: Action = {
  name: 'ListCsr',
  async handle(ctx, params) {
    const algorithm = optionalEnum(params, 'Algorithm', ['RSA', 'ECC', 'SM2'] as const);
    const keyword = optionalString(params, 'KeyWord', { maxLength: 256 });
    const paging = readPaging(params, 50);
    const r = await ctx.services.store.csrs.list({
      accountUid: ctx.accountUid,
      algorithm,
      keyword,
      offset: paging.offset,
      limit: paging.showSize,
    });
    return pageBody(paging, r.total, 'CsrList', r.rows.map(csrEntry));
  },
};
