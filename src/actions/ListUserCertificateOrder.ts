import { listPlans } from '../domain/plans.js';
import { findProduct } from '../domain/products.js';
import { splitNames } from '../domain/orders.js';
import { Errors } from '../rpc/errors.js';
import type { CertificateRow, OrderRow } from '../store/orders.js';
import { keywordResourceIds, orderInstanceId } from '../domain/certificates.js';
import { optionalEnum, optionalResourceGroupId, optionalString, pageBody, readPaging } from './params.js';
import { certificateFields } from './repository.js';
import type { Action } from './types.js';

const STATUSES = [
  'PAYED',
  'CHECKING',
  'CHECKED_FAIL',
  'ISSUED',
  'WILLEXPIRED',
  'EXPIRED',
  'NOTACTIVATED',
  'REVOKED',
] as const;
const CERT_STATUSES: readonly string[] = ['ISSUED', 'WILLEXPIRED', 'EXPIRED'];

const base36 = (n: number) => n.toString(36);

function domainType(names: string[]): string {
  const wild = names.filter((n) => n.startsWith('*.')).length;
  if (names.length === 1) return wild ? 'WILDCARD' : 'ONE';
  if (wild === names.length) return 'M_WILDCARD';
  return wild ? 'MIX' : 'MULTIPLE';
}

/** decisions.md 11: the list Status of an order. */
export function listStatus(o: OrderRow, notAfter: number | null, now: number, willExpireMs: number): string {
  switch (o.status) {
    case 'payed':
      return 'PAYED';
    case 'domain_verify':
    case 'process':
      return 'CHECKING';
    case 'verify_fail':
      return 'CHECKED_FAIL';
    case 'certificate':
      if (o.revoked_at !== null) return 'REVOKED';
      if (notAfter !== null && notAfter <= now) return 'EXPIRED';
      if (notAfter !== null && notAfter - now <= willExpireMs) return 'WILLEXPIRED';
      return 'ISSUED';
  }
}

function orderEntry(
  o: OrderRow & { not_before: number | null; not_after: number | null },
  now: number,
  willExpireMs: number,
) {
  const product = findProduct(o.product_code)!;
  const names = splitNames(o.names);
  const notBefore = o.not_before === null ? null : Number(o.not_before);
  const notAfter = o.not_after === null ? null : Number(o.not_after);
  return {
    InstanceId: orderInstanceId(Number(o.id)),
    OrderId: Number(o.id),
    AliyunOrderId: Number(o.plan_id),
    PartnerOrderId: `OPENCAS-${o.id}`,
    ProductCode: o.product_code,
    ProductName: product.name,
    RootBrand: product.brand,
    CertType: product.certType,
    Algorithm: o.key_algorithm === 'EC' ? 'ECC' : 'RSA',
    Domain: names.join(','),
    DomainType: domainType(names),
    DomainCount: names.filter((n) => !n.startsWith('*.')).length,
    WildDomainCount: names.filter((n) => n.startsWith('*.')).length,
    Status: listStatus(o, notAfter, now, willExpireMs),
    SourceType: 'cpack',
    TrusteeStatus: 'unTrustee',
    BuyDate: Number(o.created_at),
    ...(notBefore !== null ? { CertStartTime: notBefore } : {}),
    ...(notAfter !== null ? { CertEndTime: notAfter } : {}),
    ...(o.resource_group_id ? { ResourceGroupId: o.resource_group_id } : {}),
  };
}

export function certificateEntry(c: CertificateRow, now: number) {
  return {
    CertificateId: Number(c.id),
    CommonName: c.common_name,
    ...certificateFields(c, now),
    Upload: c.source === 'upload',
  };
}

/** A plan (BUY row) matches a Keyword by part of its ProductCode or id, or by its whole InstanceId. */
function planMatches(p: { id: number; productCode: string }, keyword: string): boolean {
  const k = keyword.trim().toLowerCase();
  return p.productCode.includes(k) || String(p.id).includes(k) || k === `cas-pack-${base36(p.id)}`;
}

/** api.md 4.10: application orders (CPACK), plan purchases (BUY), certificates (CERT) or uploads (UPLOAD). */
export const ListUserCertificateOrder: Action = {
  name: 'ListUserCertificateOrder',
  async handle(ctx, params) {
    const s = ctx.services;
    const orderType =
      optionalEnum(params, 'OrderType', ['CPACK', 'BUY', 'UPLOAD', 'CERT'] as const) ?? 'CPACK';
    const status = optionalEnum(params, 'Status', STATUSES);
    const keyword = optionalString(params, 'Keyword', { maxLength: 256 });
    const paging = readPaging(params, 50);
    const { offset, showSize } = paging;
    const resourceGroupId = optionalResourceGroupId(params);
    const now = s.clock.now();
    const willExpireMs = s.config.willExpireMs;
    const page = (total: number, list: unknown[]) => pageBody(paging, total, 'CertificateOrderList', list);

    if (orderType === 'CERT' || orderType === 'UPLOAD') {
      if (status && !CERT_STATUSES.includes(status)) {
        throw Errors.invalidParameter(
          'Status',
          `${status} applies to orders (CPACK, BUY), not to certificates (${orderType})`,
        );
      }
      const r = await s.store.repository.list({
        accountUid: ctx.accountUid,
        uploadOnly: orderType === 'UPLOAD',
        status,
        keyword,
        ...(keyword ? { keywordIds: keywordResourceIds(keyword, s.config.regionId) } : {}),
        resourceGroupId,
        now,
        willExpireMs,
        offset,
        limit: showSize,
      });
      return page(
        r.total,
        r.rows.map((c) => certificateEntry(c, now)),
      );
    }
    if (orderType === 'BUY') {
      // Plans stand in for purchase orders: they are what the account bought.
      // Plans (purchases) belong to no resource group.
      const all =
        resourceGroupId === undefined && (status === undefined || status === 'PAYED')
          ? await listPlans(s, ctx.accountUid, { ensureStarter: true })
          : [];
      const plans = all
        .filter((p) => !keyword || planMatches(p, keyword))
        .sort((a, b) => b.startsAt - a.startsAt || b.id - a.id);
      const rows = plans.slice(offset, offset + showSize).map((p) => {
        const product = findProduct(p.productCode)!;
        return {
          InstanceId: `cas-pack-${base36(p.id)}`,
          OrderId: p.id,
          AliyunOrderId: p.id,
          ProductCode: p.productCode,
          ProductName: product.name,
          RootBrand: product.brand,
          CertType: product.certType,
          DomainType: product.names === 'wildcard' ? 'WILDCARD' : 'ONE',
          DomainCount: product.names === 'wildcard' ? 0 : 1,
          WildDomainCount: product.names === 'wildcard' ? 1 : 0,
          Status: 'PAYED',
          SourceType: 'buy',
          TrusteeStatus: 'unTrustee',
          BuyDate: p.startsAt,
        };
      });
      return page(plans.length, rows);
    }
    const named = keyword ? keywordResourceIds(keyword, s.config.regionId) : {};
    const filter = {
      accountUid: ctx.accountUid,
      status,
      keyword,
      // An uploaded certificate has no order; an issued one's InstanceId or CertIdentifier finds its order.
      keywordIds: {
        orderId: named.orderId,
        certificateId: named.source === 'upload' ? undefined : named.certificateId,
      },
      resourceGroupId,
      now,
      willExpireMs,
    };
    const r = await s.store.orders.list({ ...filter, offset, limit: showSize });
    return page(
      r.total,
      r.rows.map((o) => orderEntry(o, now, willExpireMs)),
    );
  },
};
