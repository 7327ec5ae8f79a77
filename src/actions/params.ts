import { Errors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';

/** Typed readers of action parameters; each failure names the parameter (decisions.md 5). */
export const MAX_PARAMETER_LENGTH = 64 * 1024;

export function optionalString(
  params: Params,
  name: string,
  opts: { maxLength?: number } = {},
): string | undefined {
  const v = params.get(name);
  if (v === undefined || v === '') return undefined;
  const max = opts.maxLength ?? MAX_PARAMETER_LENGTH;
  if (v.length > max) throw Errors.invalidParameter(name, `it is longer than ${max} characters`);
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
