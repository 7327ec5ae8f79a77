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

export interface Database {
  meta: MetaTable;
  accounts: AccountsTable;
  access_keys: AccessKeysTable;
  plans: PlansTable;
  nonces: NoncesTable;
}
