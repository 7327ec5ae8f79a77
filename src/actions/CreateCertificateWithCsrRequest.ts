import { createOrder } from '../domain/orders.js';
import {
  actorOf,
  checkMethod,
  checkNames,
  DV_CODES,
  readContact,
  readCsr,
  readProduct,
  readValidateType,
} from './applications.js';
import { readTags } from './params.js';
import type { Action } from './types.js';

/** api.md 4.3: a DV certificate for the CSR's Common Name; the key stays with the caller. */
export const CreateCertificateWithCsrRequest: Action = {
  name: 'CreateCertificateWithCsrRequest',
  async handle(ctx, params) {
    const csr = (await readCsr(params, true))!;
    const contact = readContact(params, true);
    const validateType = readValidateType(params, true)!;
    const product = readProduct(params, DV_CODES);
    const tags = readTags(params);
    const names = checkNames([csr.commonName], product, 'Csr', 1);
    checkMethod(validateType, names);
    const orderId = await createOrder(ctx.services, ctx.accountUid, actorOf(ctx.accessKeyId), {
      product,
      names,
      validateType,
      csr,
      contact,
      tags,
    });
    return { OrderId: orderId };
  },
};
