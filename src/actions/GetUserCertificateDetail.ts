import { certificateChain, getCertificate } from '../domain/certificates.js';
import { certificateKey } from '../domain/orders.js';
import { optionalBool, requiredId } from './params.js';
import { certificateFields, primaryName } from './repository.js';
import type { Action } from './types.js';

/**
 * api.md 5.2: one certificate, every field read from the certificate itself; `CertFilter=true` leaves out
 * the PEM material (Cert and Key).
 */
export const GetUserCertificateDetail: Action = {
  name: 'GetUserCertificateDetail',
  async handle(ctx, params) {
    const s = ctx.services;
    const certId = requiredId(params, 'CertId');
    const filter = optionalBool(params, 'CertFilter') ?? false;
    const c = await getCertificate(s, ctx.accountUid, certId);
    const now = s.clock.now();
    const key = filter ? undefined : certificateKey(s, Number(c.id), c.key_sealed);
    return {
      Id: Number(c.id),
      CertIdentifier: `${c.id}-${s.config.regionId}`,
      ...(c.order_id !== null ? { OrderId: Number(c.order_id) } : {}),
      Common: primaryName(c),
      Algorithm: c.key_algorithm === 'EC' ? 'ECC' : c.key_algorithm,
      NotBefore: Number(c.not_before),
      NotAfter: Number(c.not_after),
      BuyInAliyun: c.source === 'issued',
      ...certificateFields(c, now),
      ...(filter ? {} : { Cert: c.cert_pem + c.chain_pem }),
      ...(key !== undefined ? { Key: key } : {}),
      CertChain: certificateChain(c, now),
    };
  },
};
