/** What the three Create* actions and the renewal share: reading names, CSRs, contacts and products. */
import type { Services } from '../domain/context.js';
import { NameError, normalizeDomain } from '../domain/names.js';
import type { Contact } from '../domain/orders.js';
import { findProduct, PRODUCTS, type Product } from '../domain/products.js';
import { parseCsr, type ParsedCsr } from '../pki/csr.js';
import { PkiError } from '../pki/errors.js';
import { Errors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';
import { optionalEmail, optionalEnum, optionalPhone, optionalString, requiredString } from './params.js';
import { DEFAULT_PRODUCT_CODE } from '../domain/products.js';

export const DV_CODES = PRODUCTS.filter((p) => p.validation === 'DV').map((p) => p.code);
export const ALL_CODES = PRODUCTS.map((p) => p.code);

export function readProduct(params: Params, allowed: readonly string[]): Product {
  const code = optionalEnum(params, 'ProductCode', allowed) ?? DEFAULT_PRODUCT_CODE;
  return findProduct(code)!;
}

/** Normalises names and checks them against the product (decisions.md 7); errors name `param`. */
export function checkNames(raw: string[], product: Product, param: string, maxNames: number): string[] {
  if (raw.length === 0) throw Errors.missingParameter(param);
  if (raw.length > maxNames)
    throw Errors.invalidParameter(param, `at most ${maxNames} names may be given, got ${raw.length}`);
  const names: string[] = [];
  for (const r of raw) {
    let n;
    try {
      n = normalizeDomain(r);
    } catch (err) {
      if (err instanceof NameError)
        throw Errors.invalidParameter(param, `"${r.slice(0, 300)}": ${err.message}`);
      throw err;
    }
    if (product.names === 'wildcard' && !n.wildcard) {
      throw Errors.invalidParameter(
        param,
        `${product.code} is a wildcard product: give a name like *.${n.name}`,
      );
    }
    if (product.names === 'single' && n.wildcard) {
      throw Errors.invalidParameter(
        param,
        `${product.code} is a single-domain product: a wildcard name is not allowed`,
      );
    }
    if (!names.includes(n.name)) names.push(n.name);
  }
  return names;
}

export function readDomainList(params: Params, product: Product, maxNames: number): string[] | undefined {
  const v = optionalString(params, 'Domain', { maxLength: 5 * 260 });
  if (v === undefined) return undefined;
  return checkNames(
    v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
    product,
    'Domain',
    maxNames,
  );
}

export async function readCsr(params: Params, required: boolean): Promise<ParsedCsr | undefined> {
  const text = required ? requiredString(params, 'Csr') : optionalString(params, 'Csr');
  if (text === undefined) return undefined;
  try {
    return await parseCsr(text);
  } catch (err) {
    if (err instanceof PkiError) throw Errors.invalidParameter('Csr', err.message);
    throw err;
  }
}

export function readValidateType(params: Params, required: boolean): 'DNS' | 'FILE' | undefined {
  if (required) requiredString(params, 'ValidateType');
  return optionalEnum(params, 'ValidateType', ['DNS', 'FILE'] as const);
}

export function readContact(params: Params, required: boolean): Contact {
  const username = required
    ? requiredString(params, 'Username', { maxLength: 64 })
    : optionalString(params, 'Username', { maxLength: 64 });
  if (required) requiredString(params, 'Email', { maxLength: 128 });
  if (required) requiredString(params, 'Phone', { maxLength: 32 });
  return {
    username,
    email: optionalEmail(params, 'Email'),
    phone: optionalPhone(params, 'Phone'),
    companyName: optionalString(params, 'CompanyName', { maxLength: 128 }),
  };
}

/** FILE cannot prove a wildcard (decisions.md 13). */
export function checkMethod(method: 'DNS' | 'FILE', names: string[]): void {
  if (method === 'FILE' && names.some((n) => n.startsWith('*.'))) {
    throw Errors.invalidParameter('ValidateType', 'FILE validation cannot prove a wildcard name; use DNS');
  }
}

/** The contact of the account's most recent order, the package call's default (api.md 4.4). */
export async function latestContact(s: Services, accountUid: number): Promise<Contact> {
  const recent = await s.store.orders.list({
    accountUid,
    now: s.clock.now(),
    willExpireMs: 0,
    offset: 0,
    limit: 1,
  });
  const o = recent.rows[0];
  return o
    ? {
        username: o.username ?? undefined,
        email: o.email ?? undefined,
        phone: o.phone ?? undefined,
        companyName: o.company_name ?? undefined,
      }
    : {};
}

export const actorOf = (accessKeyId: string) => `api:${accessKeyId}`;
