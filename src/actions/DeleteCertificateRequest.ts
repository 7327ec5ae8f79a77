/** api.md 4.8: delete a verify_fail or payed order and give its unit back. */
import { deleteOrder } from '../domain/orders.js';
import { actorOf } from './applications.js';
import { requiredId } from './params.js';
import type { Action } from './types.js';

export const DeleteCertificateRequest: Action = {
  name: 'DeleteCertificateRequest',
  async handle(ctx, params) {
    await deleteOrder(ctx.services, ctx.accountUid, requiredId(params, 'OrderId'), actorOf(ctx.accessKeyId));
    return {};
  },
};
