import { createOrder } from '../domain/orders.js';
import {
  actorOf,
  checkMethod,
  checkNames,
  DV_CODES,
  readContact,
  readProduct,
  readValidateType,
} from './applications.js';
import { readTags, requiredString, STRICT_TAG_KEYS } from './params.js';
import type { Action } from './types.js';

/** api.md 4.2: a DV certificate for one name, key pair made by the service. */
export const CreateCertificateRequest: Action = {
  name: 'CreateCertificateRequest',
  async handle(ctx, params) {
    const domain = requiredString(params, 'Domain', { maxLength: 260 });
    const contact = readContact(params, true);
    const validateType = readValidateType(params, true)!;
    const product = readProduct(params, DV_CODES);
    const tags = readTags(params, STRICT_TAG_KEYS);
    const names = checkNames([domain], product, 'Domain', 1);
    checkMethod(validateType, names);
    const orderId = await createOrder(ctx.services, ctx.accountUid, actorOf(ctx.accessKeyId), {
      product,
      names,
      validateType,
      contact,
      tags,
    });
    return { OrderId: orderId };
  },
};
