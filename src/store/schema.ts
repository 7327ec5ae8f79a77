/** The one typed view of the database, shared by both dialects. Times are epoch milliseconds. */
export interface AccountsTable {
  uid: number;
  name: string;
  is_root: number;
  created_at: number;
}

export interface AccessKeysTable {
  id: string;
  account_uid: number;
  secret_sealed: string;
  status: 'Active' | 'Inactive';
  created_at: number;
  disabled_at: number | null;
}

export interface PlansTable {
  id: number;
  account_uid: number;
  product_code: string;
  total_count: number;
  used_count: number;
  issued_count: number;
  /** `grant` (operator) or `starter` (the yearly free grant). */
  source: string;
  /** For starter grants, the calendar year; null for operator grants. */
  period: string | null;
  starts_at: number;
  expires_at: number | null;
  created_at: number;
}

export interface NoncesTable {
  access_key_id: string;
  nonce: string;
  expires_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export type OrderStatus = 'payed' | 'domain_verify' | 'process' | 'verify_fail' | 'certificate';

export interface OrdersTable {
  id: number;
  account_uid: number;
  product_code: string;
  plan_id: number;
  status: OrderStatus;
  /** Comma-separated normalised names; the first is the common name. */
  names: string;
  validate_type: 'DNS' | 'FILE';
  token: string;
  record_domain: string;
  validated_names: string;
  csr_pem: string | null;
  key_algorithm: string;
  username: string | null;
  email: string | null;
  phone: string | null;
  company_name: string | null;
  tags: string | null;
  validation_deadline: number;
  next_check_at: number | null;
  check_attempts: number;
  last_check_at: number | null;
  prompt_check_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  approval: string | null;
  certificate_id: number | null;
  issued_at: number | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  unit_returned: number;
  renewed_from: number | null;
  deleted_at: number | null;
  created_at: number;
  updated_at: number;
  /** MoveResourceGroup's label (migration 0003). */
  resource_group_id: string | null;
}

export interface CertificatesTable {
  id: number;
  account_uid: number;
  order_id: number | null;
  source: 'issued' | 'upload';
  name: string | null;
  cert_pem: string;
  chain_pem: string;
  key_sealed: string | null;
  common_name: string;
  sans: string;
  serial_hex: string;
  issuer: string;
  key_algorithm: string;
  key_size: number;
  not_before: number;
  not_after: number;
  sha1: string;
  sha256: string;
  org_name: string | null;
  country: string | null;
  province: string | null;
  city: string | null;
  resource_group_id: string | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  created_at: number;
  /** DeleteUserCertificate (migration 0003): the row stays for its order's record, without its key. */
  deleted_at: number | null;
  /** Tags given at upload, JSON (migration 0003). */
  tags: string | null;
}

export interface OrderEventsTable {
  order_id: number;
  seq: number;
  account_uid: number;
  at: number;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  actor: string;
  detail: string;
}

export interface DomainValidationsTable {
  account_uid: number;
  name: string;
  method: string;
  validated_at: number;
}

export interface CsrsTable {
  id: number;
  account_uid: number;
  /** `create` (CreateCsr: the service made the key) or `upload` (UploadCsr). */
  source: 'create' | 'upload';
  name: string | null;
  csr_pem: string;
  key_sealed: string | null;
  /** `RSA` or `ECC`, as ListCsr reports it. */
  algorithm: string;
  key_size: number;
  /** SHA-256 of the DER SubjectPublicKeyInfo, upper-case hex. */
  key_sha256: string;
  common_name: string;
  /** Comma-separated DNS SANs of the CSR, lower-cased, de-duplicated. */
  sans: string;
  country_code: string | null;
  province: string | null;
  locality: string | null;
  corp_name: string | null;
  department: string | null;
  created_at: number;
  updated_at: number;
}

export interface ContactsTable {
  id: number;
  account_uid: number;
  /** '' when the application gave none. */
  name: string;
  email: string;
  mobile: string;
  created_at: number;
  last_used_at: number;
}

/** Keys made ahead of demand, sealed with the master key (context `key-pool:<id>`). */
export interface KeyPoolTable {
  id: number;
  algorithm: string;
  size: number;
  key_sealed: string;
  created_at: number;
}

export interface Database {
  orders: OrdersTable;
  certificates: CertificatesTable;
  order_events: OrderEventsTable;
  domain_validations: DomainValidationsTable;
  meta: MetaTable;
  accounts: AccountsTable;
  access_keys: AccessKeysTable;
  plans: PlansTable;
  nonces: NoncesTable;
  /** SQLite only: nonces appended in arrival order (migration 0005). */
  nonce_log: NoncesTable;
  csrs: CsrsTable;
  contacts: ContactsTable;
  key_pool: KeyPoolTable;
}
