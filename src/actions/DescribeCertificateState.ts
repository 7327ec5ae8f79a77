import { certificateKey, pollOrder, splitNames } from '../domain/orders.js';
import { FILE_URI } from '../validation/index.js';
import { requiredId } from './params.js';
import type { Action } from './types.js';

/** api.md 4.5: the order's Type; validation data while domain_verify; certificate (and key) once issued. */
export const DescribeCertificateState: Action = {
  name: 'DescribeCertificateState',
  async handle(ctx, params) {
    const s = ctx.services;
    const order = await pollOrder(s, ctx.accountUid, requiredId(params, 'OrderId'));
    if (order.status === 'domain_verify') {
      const pending = splitNames(order.names).filter((n) => !splitNames(order.validated_names).includes(n));
      const name = pending[0] ?? splitNames(order.names)[0]!;
      if (order.validate_type === 'DNS') {
        return {
          Type: 'domain_verify',
          ValidateType: 'DNS',
          RecordDomain: order.record_domain,
          RecordType: 'TXT',
          RecordValue: order.token,
        };
      }
      return {
        Type: 'domain_verify',
        ValidateType: 'FILE',
        Domain: name,
        Uri: FILE_URI,
        Content: order.token,
      };
    }
    if (order.status === 'certificate' && order.certificate_id !== null) {
      const cert = await s.store.certificates.find(ctx.accountUid, Number(order.certificate_id));
      if (cert) {
        const key = certificateKey(s, Number(cert.id), cert.key_sealed);
        return {
          Type: 'certificate',
          Certificate: cert.cert_pem + cert.chain_pem,
          ...(key ? { PrivateKey: key } : {}),
        };
      }
    }
    return { Type: order.status };
  },
};
