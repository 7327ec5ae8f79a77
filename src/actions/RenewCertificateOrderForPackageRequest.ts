import { renewOrder } from '../domain/orders.js';
import { actorOf, readCsr } from './applications.js';
import { readTags, requiredId } from './params.js';
import type { Action } from './types.js';

/** api.md 4.9, decisions.md 18: a new order for the same names and product, taking one unit. */
export const RenewCertificateOrderForPackageRequest: Action = {
  name: 'RenewCertificateOrderForPackageRequest',
  async handle(ctx, params) {
    const orderId = requiredId(params, 'OrderId');
    const csr = await readCsr(params, false);
    const tags = readTags(params);
    const newId = await renewOrder(
      ctx.services,
      ctx.accountUid,
      orderId,
      actorOf(ctx.accessKeyId),
      csr,
      tags,
    );
    return { OrderId: newId };
  },
};
