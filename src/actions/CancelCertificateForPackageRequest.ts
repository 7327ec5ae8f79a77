/** api.md 4.7: revoke an issued order (unit back within 30 days), or cancel one not yet issued (unit back). */
import { cancelForPackage } from '../domain/orders.js';
import { actorOf } from './applications.js';
import { requiredId } from './params.js';
import type { Action } from './types.js';

export const CancelCertificateForPackageRequest: Action = {
  name: 'CancelCertificateForPackageRequest',
  async handle(ctx, params) {
    await cancelForPackage(
      ctx.services,
      ctx.accountUid,
      requiredId(params, 'OrderId'),
      actorOf(ctx.accessKeyId),
    );
    return {};
  },
};
