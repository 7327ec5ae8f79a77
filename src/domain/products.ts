/** The product catalogue of api.md section 3, built in (decisions.md 7). */
export type Validation = 'DV' | 'OV';
export type NameKind = 'single' | 'wildcard';

export interface Product {
  code: string;
  name: string;
  brand: string;
  /** The CertType reported in order lists. */
  certType: 'DV' | 'OV' | 'EV' | 'FREE';
  validation: Validation;
  names: NameKind;
  free: boolean;
}

const p = (
  code: string,
  name: string,
  brand: string,
  certType: Product['certType'],
  free = false,
): Product => ({
  code,
  name,
  brand,
  certType,
  validation: certType === 'DV' || certType === 'FREE' ? 'DV' : 'OV',
  names: code.includes('-w-') ? 'wildcard' : 'single',
  free,
});

export const PRODUCTS: readonly Product[] = [
  p('digicert-free-1-free', 'DigiCert DV single-domain (free, 3 months)', 'DigiCert', 'FREE', true),
  p('symantec-free-1-free', 'DigiCert DV single-domain (free, 1 year)', 'DigiCert', 'FREE', true),
  // decisions.md 7: symantec-dv-1-starter is a wildcard DV code, whatever its name suggests.
  { ...p('symantec-dv-1-starter', 'DigiCert DV wildcard', 'DigiCert', 'DV'), names: 'wildcard' },
  p('symantec-ov-1-personal', 'DigiCert OV single-domain', 'DigiCert', 'OV'),
  p('symantec-ov-w-personal', 'DigiCert OV wildcard', 'DigiCert', 'OV'),
  p('geotrust-dv-1-starter', 'GeoTrust DV single-domain', 'GeoTrust', 'DV'),
  p('geotrust-dv-w-starter', 'GeoTrust DV wildcard', 'GeoTrust', 'DV'),
  p('geotrust-ov-1-personal', 'GeoTrust OV single-domain', 'GeoTrust', 'OV'),
  p('geotrust-ov-w-personal', 'GeoTrust OV wildcard', 'GeoTrust', 'OV'),
  p('globalsign-dv-1-personal', 'GlobalSign DV single-domain', 'GlobalSign', 'DV'),
  p('globalsign-dv-w-advanced', 'GlobalSign DV wildcard', 'GlobalSign', 'DV'),
  p('globalsign-ov-1-personal', 'GlobalSign OV single-domain', 'GlobalSign', 'OV'),
  p('globalsign-ov-w-advanced', 'GlobalSign OV wildcard', 'GlobalSign', 'OV'),
  p('cfca-ov-1-personal', 'CFCA OV single-domain', 'CFCA', 'OV'),
  p('cfca-ev-w-advanced', 'CFCA OV wildcard', 'CFCA', 'OV'),
];

const BY_CODE = new Map(PRODUCTS.map((x) => [x.code, x]));

export const DEFAULT_PRODUCT_CODE = 'digicert-free-1-free';

export function findProduct(code: string): Product | undefined {
  return BY_CODE.get(code);
}
