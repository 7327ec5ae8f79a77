/** What the three Create* actions and the renewal share: reading names, CSRs, contacts and products. */
import { lastUsedContact } from '../domain/contacts.js';
import type { Services } from '../domain/context.js';
import { NameError, normalizeDomain, type NormalizedName } from '../domain/names.js';
import type { Contact } from '../domain/orders.js';
import { findProduct, PRODUCTS, type Product } from '../domain/products.js';
import { parseCsr, type ParsedCsr } from '../pki/csr.js';
import { Errors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';
import {
  fromPki,
  optionalEmail,
  optionalEnum,
  optionalPhone,
  optionalString,
  requiredString,
} from './params.js';
import { DEFAULT_PRODUCT_CODE } from '../domain/products.js';

export const DV_CODES = PRODUCTS.filter((p) => p.validation === 'DV').map((p) => p.code);
export const ALL_CODES = PRODUCTS.map((p) => p.code);

export function readProduct(params: Params, allowed: readonly string[]): Product {
  const code = optionalEnum(params, 'ProductCode', allowed) ?? DEFAULT_PRODUCT_CODE;
  return findProduct(code)!;
}

/** One name normalised (lower case, no final dot), or InvalidParameter naming `param` with the reason. */
export function normalizeName(raw: string, param: string): NormalizedName {
  try {
    return normalizeDomain(raw);
  } catch (err) {
    if (err instanceof NameError)
      throw Errors.invalidParameter(param, `"${raw.slice(0, 300)}": ${err.message}`);
    throw err;
  }
}

/** Normalises names and checks them against the product (decisions.md 7); errors name `param`. */
export function checkNames(raw: string[], product: Product, param: string, maxNames: number): string[] {
  if (raw.length === 0) throw Errors.missingParameter(param);
  if (raw.length > maxNames)
    throw Errors.invalidParameter(param, `at most ${maxNames} names may be given, got ${raw.length}`);
  const names: string[] = [];
  for (const r of raw) {
    const n = normalizeName(r, param);
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
  return fromPki('Csr', () => parseCsr(text));
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

/**
 * The package call's default contact (api.md 4.4): the account's most recently used contact (ListContact),
 * and the company name of its most recent order.
 */
export async function latestContact(s: Services, accountUid: number): Promise<Contact> {
  const recent = await s.store.orders.list({
    accountUid,
    now: s.clock.now(),
    willExpireMs: 0,
    offset: 0,
    limit: 1,
  });
  const companyName = recent.rows[0]?.company_name ?? undefined;
  return { ...(await lastUsedContact(s, accountUid)), ...(companyName ? { companyName } : {}) };
}

export const actorOf = (accessKeyId: string) => `api:${accessKeyId}`;
