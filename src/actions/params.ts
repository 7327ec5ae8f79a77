import { PkiError } from '../pki/errors.js';
import { Errors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';

/** Typed readers of action parameters; each failure names the parameter (decisions.md 5). */
export const MAX_PARAMETER_LENGTH = 64 * 1024;

/**
 * Checks what every text parameter must meet: at most `max` characters, counted as code points (an emoji
 * is one character, not two UTF-16 units), and no NUL, which no text holds and PostgreSQL refuses in any
 * text it is sent (a 500 otherwise).
 */
function checkText(name: string, v: string, max: number, what = 'it'): void {
  // Code points never outnumber UTF-16 units: count them only when the cheap length is over.
  if (v.length > max && [...v].length > max)
    throw Errors.invalidParameter(name, `${what} is longer than ${max} characters`);
  if (v.includes('\u0000')) {
    // The value is not echoed: its NUL would only be replaced in the message.
    throw Errors.invalidParameter(
      name,
      `${what} holds a NUL character: send text in UTF-8, not UTF-16 or binary data`,
    );
  }
}

export function optionalString(
  params: Params,
  name: string,
  opts: { maxLength?: number } = {},
): string | undefined {
  const v = params.get(name);
  if (v === undefined || v === '') return undefined;
  checkText(name, v, opts.maxLength ?? MAX_PARAMETER_LENGTH);
  return v;
}

export function requiredString(params: Params, name: string, opts: { maxLength?: number } = {}): string {
  const v = optionalString(params, name, opts);
  if (v === undefined) throw Errors.missingParameter(name);
  return v;
}

export function optionalEnum<T extends string>(
  params: Params,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const v = optionalString(params, name, { maxLength: 256 });
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    const shown = allowed.length <= 8 ? ` (one of ${allowed.join(', ')})` : '';
    throw Errors.invalidParameter(
      name,
      `"${v.length > 64 ? v.slice(0, 64) + '...' : v}" is not an allowed value${shown}`,
    );
  }
  return v as T;
}

/** A numeric id (OrderId, CertId): a positive integer below 2^53, else InvalidParameter. */
export function requiredId(params: Params, name: string): number {
  const v = requiredString(params, name, { maxLength: 32 });
  if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < 1) {
    throw Errors.invalidParameter(name, `"${v}" is not a positive integer id`);
  }
  return Number(v);
}

export function optionalInt(params: Params, name: string, min: number, max: number): number | undefined {
  const v = optionalString(params, name, { maxLength: 32 });
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw Errors.invalidParameter(name, `it must be a whole number from ${min} to ${max}`);
  }
  return Number(v);
}

export interface Tag {
  key: string;
  value: string;
}

/** What a tag key may be: api.md gives CreateCertificateRequest a stricter rule than the other calls. */
export interface TagKeyRule {
  maxLength: number;
  /** Letters, digits, '.', '_' and '-', starting with a letter (CreateCertificateRequest). */
  strict?: boolean;
}

/** CreateCertificateRequest's key rule (api.md 4.2). */
export const STRICT_TAG_KEYS: TagKeyRule = { maxLength: 64, strict: true };

/** `Tags.N.Key` / `Tags.N.Value`, N from 1 to 20 (api.md 2.1 item 9). */
export function readTags(params: Params, rule: TagKeyRule = { maxLength: 128 }): Tag[] {
  const tags = new Map<number, Partial<Tag>>();
  for (const [name, value] of params) {
    const m = /^Tags\.([1-9]\d*)\.(Key|Value)$/.exec(name);
    if (!m) {
      if (name.startsWith('Tags.'))
        throw Errors.invalidParameter(name, 'tags are written Tags.N.Key and Tags.N.Value');
      continue;
    }
    const n = Number(m[1]);
    if (n < 1 || n > 20) throw Errors.invalidParameter(name, 'at most 20 tags, numbered from 1');
    const t = tags.get(n) ?? {};
    if (m[2] === 'Key') t.key = value;
    else t.value = value;
    tags.set(n, t);
  }
  return [...tags.entries()]
    .sort(([a], [b]) => a - b)
    .map(([n, t]) => {
      const key = t.key ?? '';
      if (key === '') throw Errors.invalidParameter(`Tags.${n}.Key`, 'a tag key must not be empty');
      checkText(`Tags.${n}.Key`, key, rule.maxLength, 'a tag key');
      if (rule.strict && !/^[A-Za-z][A-Za-z0-9._-]*$/.test(key))
        throw Errors.invalidParameter(
          `Tags.${n}.Key`,
          "a tag key starts with a letter and holds only letters, digits, '.', '_' and '-'",
        );
      if (/^(aliyun|acs:)/i.test(key) || /https?:\/\//i.test(key)) {
        throw Errors.invalidParameter(
          `Tags.${n}.Key`,
          'a tag key may not start with aliyun or acs: nor contain http:// or https://',
        );
      }
      const value = t.value ?? '';
      checkText(`Tags.${n}.Value`, value, 128, 'a tag value');
      return { key, value };
    });
}

export function optionalEmail(params: Params, name: string): string | undefined {
  const v = optionalString(params, name, { maxLength: 128 });
  if (v !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v))
    throw Errors.invalidParameter(name, `"${v}" is not an e-mail address`);
  return v;
}

export function optionalPhone(params: Params, name: string): string | undefined {
  const v = optionalString(params, name, { maxLength: 32 });
  if (v !== undefined && !/^\+?[0-9*][0-9* ()-]{2,30}$/.test(v))
    throw Errors.invalidParameter(name, `"${v}" is not a phone number`);
  return v;
}

/** `true` or `false` (any case, as the SDKs send booleans); anything else is InvalidParameter. */
export function optionalBool(params: Params, name: string): boolean | undefined {
  const v = optionalString(params, name, { maxLength: 16 });
  if (v === undefined) return undefined;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw Errors.invalidParameter(name, `"${v}" is not true or false`);
}

/** The largest ShowSize of every list action; CurrentPage counts from 1. */
export const MAX_SHOW_SIZE = 100;
const MAX_CURRENT_PAGE = 1_000_000;

export interface Paging {
  currentPage: number;
  showSize: number;
  offset: number;
}

/**
 * CurrentPage (1 to 1,000,000, default 1) and ShowSize (1 to 100, default `defaultSize`), the same for every
 * list action: a value out of range is InvalidParameter naming it, never a silent fallback.
 */
export function readPaging(params: Params, defaultSize: number): Paging {
  const currentPage = optionalInt(params, 'CurrentPage', 1, MAX_CURRENT_PAGE) ?? 1;
  const showSize = optionalInt(params, 'ShowSize', 1, MAX_SHOW_SIZE) ?? defaultSize;
  return { currentPage, showSize, offset: (currentPage - 1) * showSize };
}

/** A page in the response shape every list action shares. */
export function pageBody(paging: Paging, total: number, listName: string, list: unknown[]) {
  return { TotalCount: total, CurrentPage: paging.currentPage, ShowSize: paging.showSize, [listName]: list };
}

/** `rg-` followed by letters, digits, `-` or `_`, at most 64 characters in all. */
export function optionalResourceGroupId(params: Params, name = 'ResourceGroupId'): string | undefined {
  const v = optionalString(params, name, { maxLength: 64 });
  if (v !== undefined && !/^rg-[A-Za-z0-9_-]+$/.test(v))
    throw Errors.invalidParameter(
      name,
      `"${v}" is not a resource group id (rg- followed by letters and digits)`,
    );
  return v;
}

/** Runs a pki/ reader on a parameter's text: its PkiError becomes InvalidParameter naming the parameter. */
export function fromPki<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof PkiError) throw Errors.invalidParameter(name, err.message);
    throw err;
  }
}
