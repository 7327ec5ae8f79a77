import { createOrder } from '../domain/orders.js';
import { Errors } from '../rpc/errors.js';
import {
  ALL_CODES,
  actorOf,
  checkMethod,
  checkNames,
  latestContact,
  readContact,
  readCsr,
  readDomainList,
  readProduct,
  readValidateType,
} from './applications.js';
import { readTags } from './params.js';
import type { Action } from './types.js';

/**
 * api.md 4.4: any product, up to 5 names of one kind, CSR optional. With a CSR its Common Name is the
 * bound name; contacts default to the account's most recent ones.
 */
export const CreateCertificateForPackageRequest: Action = {
  name: 'CreateCertificateForPackageRequest',
  async handle(ctx, params) {
    const product = readProduct(params, ALL_CODES);
    const csr = await readCsr(params, false);
    const domains = readDomainList(params, product, 5);
    if (!csr && !domains) throw Errors.missingParameter('Domain');
    const names = csr ? checkNames([csr.commonName], product, 'Csr', 1) : domains!;
    const validateType = readValidateType(params, false) ?? 'DNS';
    checkMethod(validateType, names);
    const given = readContact(params, false);
    const fallback = await latestContact(ctx.services, ctx.accountUid);
    const contact = {
      username: given.username ?? fallback.username,
      email: given.email ?? fallback.email,
      phone: given.phone ?? fallback.phone,
      companyName: given.companyName ?? fallback.companyName,
    };
    const tags = readTags(params);
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
