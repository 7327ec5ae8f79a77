/** api.md 4.6: withdraw an application pending validation or review; the unit stays used (decisions.md 8). */
import { cancelOrder } from '../domain/orders.js';
import { actorOf } from './applications.js';
import { requiredId } from './params.js';
import type { Action } from './types.js';

export const CancelOrderRequest: Action = {
  name: 'CancelOrderRequest',
  async handle(ctx, params) {
    await cancelOrder(ctx.services, ctx.accountUid, requiredId(params, 'OrderId'), actorOf(ctx.accessKeyId));
    return {};
  },
};
