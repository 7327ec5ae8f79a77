import { controlCharacterIn } from '../pki/certificate.js';
import { createCsr } from '../domain/csrs.js';
import { Errors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';
import { normalizeName } from './applications.js';
import { optionalEnum, optionalString, requiredString } from './params.js';
import { readCsrName } from './repository.js';
import type { Action } from './types.js';

const KEY_SIZES = { RSA: [2048, 3072, 4096], ECC: [256, 384] } as const;
/** X.520's upper bound for a Common Name. */
const MAX_CN = 64;
const MAX_SANS = 100;

function subjectText(params: Params, name: string, required: boolean, maxLength = 128) {
  const v = required
    ? requiredString(params, name, { maxLength })
    : optionalString(params, name, { maxLength });
  if (v !== undefined && controlCharacterIn(v) !== undefined)
    throw Errors.invalidParameter(name, 'control characters are not allowed');
  return v;
}

/**
 * The CSR's names: CommonName first, then Sans (comma-separated), each lower-cased, without a final dot,
 * de-duplicated. A CommonName over 64 characters cannot be a CN (X.520) and is refused.
 */
function readNames(params: Params): string[] {
  const cnText = requiredString(params, 'CommonName', { maxLength: 300 });
  const cn = normalizeName(cnText, 'CommonName').name;
  if (cn.length > MAX_CN)
    throw Errors.invalidParameter(
      'CommonName',
      `a Common Name has at most ${MAX_CN} characters (X.520); "${cn}" has ${cn.length}. Put a longer name in Sans`,
    );
  const raw = (optionalString(params, 'Sans', { maxLength: MAX_SANS * 260 }) ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (raw.length > MAX_SANS) throw Errors.invalidParameter('Sans', `at most ${MAX_SANS} names may be given`);
  const names = [cn];
  for (const r of raw) {
    const n = normalizeName(r, 'Sans').name;
    if (!names.includes(n)) names.push(n);
  }
  return names;
}

/** api.md 5.7: the service makes the key pair (off the event loop) and a CSR; the key stays, sealed. */
export const CreateCsr: Action = {
  name: 'CreateCsr',
  async handle(ctx, params) {
    requiredString(params, 'Algorithm');
    const algorithm = optionalEnum(params, 'Algorithm', ['RSA', 'ECC', 'SM2'] as const)!;
    if (algorithm === 'SM2')
      throw Errors.invalidParameter('Algorithm', 'SM2 keys are not supported; use RSA or ECC');
    const sizeText = requiredString(params, 'KeySize', { maxLength: 16 });
    const allowed: readonly number[] = KEY_SIZES[algorithm];
    if (!/^\d+$/.test(sizeText) || !allowed.includes(Number(sizeText)))
      throw Errors.invalidParameter('KeySize', `${algorithm} keys can be ${allowed.join(', ')} bits`);
    const names = readNames(params);
    const country = requiredString(params, 'CountryCode', { maxLength: 2 });
    if (!/^[A-Za-z]{2}$/.test(country))
      throw Errors.invalidParameter(
        'CountryCode',
        'a country code is two letters (ISO 3166-1), e.g. CN or US',
      );
    const province = subjectText(params, 'Province', true)!;
    const locality = subjectText(params, 'Locality', true)!;
    const organization = subjectText(params, 'CorpName', false, 64);
    const organizationalUnit = subjectText(params, 'Department', false, 64);
    const name = readCsrName(params);
    const row = await createCsr(ctx.services, ctx.accountUid, {
      algorithm: algorithm === 'ECC' ? 'EC' : 'RSA',
      keySize: Number(sizeText),
      subject: {
        commonName: names[0]!,
        country: country.toUpperCase(),
        province,
        locality,
        ...(organization !== undefined ? { organization } : {}),
        ...(organizationalUnit !== undefined ? { organizationalUnit } : {}),
      },
      names,
      ...(name !== undefined ? { name } : {}),
    });
    return { CsrId: Number(row.id), Csr: row.csr_pem };
  },
};
