import { csrPublicKey, type ParsedCsr } from '../pki/csr.js';
import { KEY_TAKES_AT_ONCE } from './key-pool.js';
import { maxValidityDays } from '../pki/ca.js';
import { randomId } from '../ids.js';
import { Errors } from '../rpc/errors.js';
import type { OrderRow } from '../store/orders.js';
import type { OrderStatus } from '../store/schema.js';
import { newToken } from '../validation/index.js';
import { certificateColumns, certificateKeyContext } from './certificates.js';
import { recordContact } from './contacts.js';
import type { Services } from './context.js';
import type { IssueRequest } from '../issuance/issuer.js';
import { ensureStarterPlan } from './plans.js';
import { findProduct, type Product } from './products.js';

const DAY = 86_400_000;
/** decisions.md 8: a revocation within 30 days of issuance gives the unit back. */
export const REFUND_WINDOW_MS = 30 * DAY;
/**
 * decisions.md 14: a poll re-checks a waiting order at most this often. Just under a second, so that a client
 * polling once a second (with some jitter) has every poll re-check, and one polling faster gets no more.
 */
export const PROMPT_CHECK_MS = 800;
/** How long a poll that started a re-check (or found the order being issued) waits for the outcome. */
export const PROMPT_WAIT_MS = 2_000;
/** While waiting, the store is read again at least this often (another server's worker may do the work). */
const PROMPT_REREAD_MS = 100;

export interface Contact {
  username?: string;
  email?: string;
  phone?: string;
  companyName?: string;
}

export interface NewOrder {
  product: Product;
  names: string[];
  validateType: 'DNS' | 'FILE';
  csr?: ParsedCsr;
  contact: Contact;
  tags: Array<{ key: string; value: string }>;
  renewedFrom?: number;
  /** A renewal stays in the resource group of the order it renews. */
  resourceGroupId?: string | null;
}

/** The CA/Browser Forum reuse period of a validation on a date (decisions.md 15). */
export function reusePeriodMs(now: number): number {
  if (now >= Date.UTC(2029, 2, 15)) return 10 * DAY;
  if (now >= Date.UTC(2027, 2, 15)) return 100 * DAY;
  if (now >= Date.UTC(2026, 2, 15)) return 200 * DAY;
  return 398 * DAY;
}

/** Validity by product: free codes 90 days, paid codes a year capped at the maximum in force. */
export function validityMs(product: Product, now: number): number {
  const days = product.free ? 90 : Math.min(365, maxValidityDays(now));
  return days * DAY;
}

const splitNames = (s: string) => (s === '' ? [] : s.split(','));

export async function addEvent(
  s: Services,
  order: Pick<OrderRow, 'id' | 'account_uid'>,
  kind: string,
  actor: string,
  detail: string,
  from: OrderStatus | null = null,
  to: OrderStatus | null = null,
): Promise<void> {
  await s.store.orders.addEvent({
    order_id: order.id,
    account_uid: order.account_uid,
    at: s.clock.now(),
    kind,
    from_status: from,
    to_status: to,
    actor,
    detail,
  });
}

/** Creates an application order and takes its unit, all or nothing (decisions.md 8). */
export async function createOrder(
  s: Services,
  accountUid: number,
  actor: string,
  input: NewOrder,
): Promise<number> {
  await ensureStarterPlan(s, accountUid);
  const now = s.clock.now();
  const id = randomId();
  let recordDomain = '';
  if (input.validateType === 'DNS') {
    // One order hands out one DNS record (api.md 4.5), so it must prove every name (decisions.md 12).
    const shared = await s.validation.recordDomain(input.names);
    if (shared === null) {
      throw Errors.invalidParameter(
        'Domain',
        `${input.names.join(', ')} lie in different DNS zones, and DNS validation gives one TXT record per order: apply for each zone separately, or use FILE validation`,
      );
    }
    recordDomain = shared;
  }
  const reused = await s.store.orders.validationsSince(accountUid, input.names, now - reusePeriodMs(now));
  const allReused = input.names.every((n) => reused.includes(n));
  const status: OrderStatus = allReused ? 'process' : 'domain_verify';
  await s.store.transaction(async (tx) => {
    if (input.renewedFrom !== undefined) {
      // The order being renewed may have been revoked, or renewed by a concurrent call, since it was checked:
      // its row is locked while this transaction looks.
      const source = await tx.orders.findForUpdate(input.renewedFrom);
      if (
        !source ||
        source.status !== 'certificate' ||
        source.revoked_at !== null ||
        source.deleted_at !== null
      ) {
        throw Errors.orderStateError('Only an issued, unrevoked order can be renewed.');
      }
      const renewal = await tx.orders.liveRenewalOf(input.renewedFrom);
      if (renewal) throw alreadyRenewed(input.renewedFrom, renewal);
    }
    const plan = await tx.plans.takeUnit(accountUid, input.product.code, now);
    if (plan === 'no-plan') throw Errors.notFoundPackage(input.product.code);
    if (plan === 'exhausted') throw Errors.notRemainCount(input.product.code);
    await tx.orders.insert({
      id,
      account_uid: accountUid,
      product_code: input.product.code,
      plan_id: plan,
      status,
      names: input.names.join(','),
      validate_type: input.validateType,
      token: newToken(now),
      record_domain: recordDomain,
      validated_names: allReused ? input.names.join(',') : '',
      csr_pem: input.csr?.pem ?? null,
      key_algorithm: input.csr?.keyAlgorithm ?? 'RSA',
      username: input.contact.username ?? null,
      email: input.contact.email ?? null,
      phone: input.contact.phone ?? null,
      company_name: input.contact.companyName ?? null,
      tags: input.tags.length ? JSON.stringify(input.tags) : null,
      validation_deadline: now + s.config.validationWindowMs,
      next_check_at: now,
      check_attempts: 0,
      last_check_at: null,
      prompt_check_at: null,
      lease_owner: null,
      lease_until: null,
      approval: input.product.validation === 'OV' ? 'pending' : null,
      certificate_id: null,
      issued_at: null,
      revoked_at: null,
      revoke_reason: null,
      unit_returned: 0,
      renewed_from: input.renewedFrom ?? null,
      deleted_at: null,
      created_at: now,
      updated_at: now,
      resource_group_id: input.resourceGroupId ?? null,
    });
    await recordContact(tx, accountUid, input.contact, now);
    await tx.orders.addEvent({
      order_id: id,
      account_uid: accountUid,
      at: now,
      kind: 'created',
      from_status: null,
      to_status: status,
      actor,
      detail:
        `${input.product.code} for ${input.names.join(', ')}, ${input.validateType} validation, ` +
        `${input.csr ? 'client CSR' : 'service-generated key'}` +
        (input.renewedFrom ? `, renewal of order ${input.renewedFrom}` : '') +
        (allReused ? '; validation reused from an earlier order' : '') +
        (s.validation.mode === 'sandbox' ? '; sandbox validation mode' : ''),
    });
  });
  return id;
}

export async function getOrder(s: Services, accountUid: number, orderId: number): Promise<OrderRow> {
  const order = await s.store.orders.find(accountUid, orderId);
  if (!order) throw Errors.notFoundOrder(orderId);
  return order;
}

/**
 * DescribeCertificateState: the order, with a prompt re-check for one waiting on validation (decisions.md 14).
 * A poll that starts a re-check wakes the worker and waits, up to PROMPT_WAIT_MS, for the outcome: the poll
 * right after the record appears already answers with the certificate, instead of the state before the check.
 * It waits the same way for a validated DV order being issued.
 */
export async function pollOrder(s: Services, accountUid: number, orderId: number): Promise<OrderRow> {
  const order = await getOrder(s, accountUid, orderId);
  const now = s.clock.now();
  let wait = order.status === 'process' && order.approval !== 'pending';
  if (
    order.status === 'domain_verify' &&
    (order.prompt_check_at === null || now - Number(order.prompt_check_at) >= PROMPT_CHECK_MS) &&
    (await s.store.orders.update(order.id, ['domain_verify'], { next_check_at: now, prompt_check_at: now }))
  ) {
    s.signals.wake();
    wait = true;
  }
  return wait ? awaitOutcome(s, order) : order;
}

/** The order once the work under way on it is done (a check, an issuance), or as it is after PROMPT_WAIT_MS. */
async function awaitOutcome(s: Services, before: OrderRow): Promise<OrderRow> {
  const deadline = performance.now() + PROMPT_WAIT_MS;
  let current = before;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return current;
    await s.signals.next(before.id, Math.min(left, PROMPT_REREAD_MS));
    const fresh = await s.store.orders.find(Number(before.account_uid), before.id);
    if (!fresh) return current;
    current = fresh;
    switch (fresh.status) {
      case 'domain_verify':
        // The re-check ran and did not pass: that is the answer.
        if (Number(fresh.check_attempts) > Number(before.check_attempts)) return fresh;
        break;
      case 'process':
        // An OV order waits for the operator, not for the worker.
        if (fresh.approval === 'pending') return fresh;
        break;
      default:
        return fresh;
    }
  }
}

export async function cancelOrder(
  s: Services,
  accountUid: number,
  orderId: number,
  actor: string,
): Promise<void> {
  const order = await getOrder(s, accountUid, orderId);
  const now = s.clock.now();
  const ok = await s.store.orders.update(order.id, ['domain_verify', 'process'], {
    status: 'payed',
    next_check_at: null,
    updated_at: now,
  });
  if (!ok)
    throw Errors.orderStateError(
      `The order is in state ${order.status}; only domain_verify and process orders can be cancelled.`,
    );
  await addEvent(
    s,
    order,
    'cancelled',
    actor,
    'application withdrawn (CancelOrderRequest); the unit stays used until the order is deleted',
    order.status,
    'payed',
  );
}

/** Soft-deletes an unissued order and gives its unit back, in one transaction. */
async function dropOrder(
  s: Services,
  order: OrderRow,
  from: OrderStatus[],
  actor: string,
  detail: string,
): Promise<boolean> {
  const now = s.clock.now();
  return s.store.transaction(async (tx) => {
    const ok = await tx.orders.update(order.id, from, {
      deleted_at: now,
      next_check_at: null,
      unit_returned: 1,
      updated_at: now,
    });
    if (!ok) return false;
    if (Number(order.unit_returned) === 0) await tx.plans.giveBack(Number(order.plan_id), false);
    await tx.orders.addEvent({
      order_id: order.id,
      account_uid: order.account_uid,
      at: now,
      kind: 'deleted',
      from_status: order.status,
      to_status: null,
      actor,
      detail,
    });
    return true;
  });
}

export async function deleteOrder(
  s: Services,
  accountUid: number,
  orderId: number,
  actor: string,
): Promise<void> {
  const order = await getOrder(s, accountUid, orderId);
  const ok = await dropOrder(
    s,
    order,
    ['verify_fail', 'payed'],
    actor,
    'order deleted (DeleteCertificateRequest); unit given back',
  );
  if (!ok) {
    throw Errors.orderStateError(
      `The order is in state ${order.status}; only verify_fail and payed orders can be deleted.`,
    );
  }
}

/** CancelCertificateForPackageRequest: revoke an issued order, or cancel one not yet issued (decisions.md 8). */
export async function cancelForPackage(
  s: Services,
  accountUid: number,
  orderId: number,
  actor: string,
): Promise<void> {
  const order = await getOrder(s, accountUid, orderId);
  if (order.status !== 'certificate') {
    const ok = await dropOrder(
      s,
      order,
      ['payed', 'domain_verify', 'process', 'verify_fail'],
      actor,
      'order cancelled before issuance (CancelCertificateForPackageRequest); unit given back',
    );
    if (!ok)
      throw Errors.orderStateError(
        `The order changed state (${order.status}) while it was being cancelled; try again.`,
      );
    return;
  }
  if (order.revoked_at !== null)
    throw Errors.orderStateError('The certificate of this order has been revoked already.');
  const now = s.clock.now();
  const refund =
    order.issued_at !== null &&
    now - Number(order.issued_at) <= REFUND_WINDOW_MS &&
    Number(order.unit_returned) === 0;
  await s.store.transaction(async (tx) => {
    // Conditional on what was read: a concurrent revoke (another server) cannot revoke or refund twice.
    const ok = await tx.orders.update(
      order.id,
      ['certificate'],
      {
        revoked_at: now,
        revoke_reason: 'cessationOfOperation',
        unit_returned: refund ? 1 : Number(order.unit_returned),
        updated_at: now,
      },
      { notRevoked: true, unitReturned: Number(order.unit_returned) },
    );
    if (!ok) throw Errors.orderStateError('The order changed state while it was being revoked; try again.');
    if (order.certificate_id !== null)
      await tx.certificates.markRevoked(Number(order.certificate_id), now, 'cessationOfOperation');
    if (refund) await tx.plans.giveBack(Number(order.plan_id), true);
    await tx.orders.addEvent({
      order_id: order.id,
      account_uid: order.account_uid,
      at: now,
      kind: 'revoked',
      from_status: 'certificate',
      to_status: 'certificate',
      actor,
      detail: `certificate revoked (reason cessationOfOperation); ${refund ? 'within 30 days of issuance: unit given back' : 'more than 30 days after issuance: no unit given back'}`,
    });
  });
}

/** decisions.md 18 as README states it: an order has at most one renewal that has not been deleted. */
function alreadyRenewed(orderId: number, renewal: Pick<OrderRow, 'id' | 'status'>) {
  return Errors.orderStateError(
    `Order ${orderId} has already been renewed as order ${renewal.id} (${renewal.status}): follow that order ` +
      '(and renew it in turn when it is about to expire); delete, cancel or revoke it before renewing this order again.',
  );
}

export async function renewOrder(
  s: Services,
  accountUid: number,
  orderId: number,
  actor: string,
  csr?: ParsedCsr,
  tags: NewOrder['tags'] = [],
): Promise<number> {
  const order = await getOrder(s, accountUid, orderId);
  if (order.status !== 'certificate' || order.revoked_at !== null || order.certificate_id === null) {
    throw Errors.orderStateError('Only an issued, unrevoked order can be renewed.');
  }
  const renewal = await s.store.orders.liveRenewalOf(order.id);
  if (renewal) throw alreadyRenewed(order.id, renewal);
  const cert = await s.store.certificates.find(accountUid, Number(order.certificate_id));
  const now = s.clock.now();
  const notAfter = Number(cert!.not_after);
  if (notAfter <= now)
    throw Errors.orderStateError('The certificate has expired; apply for a new one instead of renewing.');
  if (notAfter - now > s.config.willExpireMs) {
    throw Errors.orderStateError(
      `The certificate is not about to expire: renewal opens ${Math.round(s.config.willExpireMs / DAY)} days before ${new Date(notAfter).toISOString().slice(0, 10)}.`,
    );
  }
  const names = splitNames(order.names);
  if (csr && !names.includes(csr.commonName)) {
    throw Errors.invalidParameter(
      'Csr',
      `the CSR's Common Name ${csr.commonName} is not a name of order ${order.id}`,
    );
  }
  const product = findProduct(order.product_code)!;
  return createOrder(s, accountUid, actor, {
    product,
    names,
    validateType: order.validate_type,
    csr,
    contact: {
      username: order.username ?? undefined,
      email: order.email ?? undefined,
      phone: order.phone ?? undefined,
      companyName: order.company_name ?? undefined,
    },
    tags,
    renewedFrom: order.id,
    resourceGroupId: order.resource_group_id,
  });
}

/** The operator's vetting step for OV orders (decisions.md 16). */
export async function decideOrder(
  s: Services,
  orderId: number,
  approve: boolean,
  actor: string,
): Promise<OrderRow> {
  const order = await s.store.orders.findAny(orderId);
  if (!order || order.deleted_at !== null) throw Errors.notFoundOrder(orderId);
  if (order.status !== 'process' || order.approval !== 'pending') {
    throw Errors.orderStateError(`order ${orderId} is not waiting for approval (state ${order.status})`);
  }
  const now = s.clock.now();
  await s.store.orders.update(order.id, ['process'], {
    approval: approve ? 'approved' : 'rejected',
    next_check_at: now,
    updated_at: now,
  });
  await addEvent(
    s,
    order,
    'approval',
    actor,
    approve ? 'approved by the operator' : 'rejected by the operator',
  );
  return (await s.store.orders.findAny(orderId))!;
}

export interface IssueOutcome {
  /** Orders now in `certificate`. */
  issued: Set<number>;
  /** Orders whose certificate could not be made (a bad key, say), with the error; nothing was stored for them. */
  failed: Map<number, unknown>;
}

/**
 * Issues the certificates of `process` orders together: each is built and signed, then all are stored in one
 * transaction (the order updates, the certificate rows, the plans' issued counters and the history, a few
 * statements for the whole batch). An order a cancel took out of `process` meanwhile gets nothing. An error
 * in the transaction fails the whole call; nothing of it is stored.
 */
export async function issueOrders(s: Services, orders: OrderRow[], actor: string): Promise<IssueOutcome> {
  const failed = new Map<number, unknown>();
  const now = s.clock.now();
  // The keys: a CSR's is read from its DER; a service-made key (RSA, off the event loop) is taken from the
  // pool or made here, a few at a time, so that a shutdown (which makes take() refuse) waits for few of them.
  const keyed: Array<{ order: OrderRow; publicKey: IssueRequest['publicKey']; keyPem: string | null }> = [];
  const serviceKeyed: OrderRow[] = [];
  for (const order of orders) {
    if (!order.csr_pem) {
      serviceKeyed.push(order);
      continue;
    }
    try {
      keyed.push({ order, publicKey: csrPublicKey(order.csr_pem), keyPem: null });
    } catch (err) {
      failed.set(order.id, err);
    }
  }
  let next = 0;
  const taker = async () => {
    for (let order = serviceKeyed[next++]; order; order = serviceKeyed[next++]) {
      try {
        const pair = await s.keys.take('RSA', 2048);
        keyed.push({
          order,
          publicKey: pair.publicKey as IssueRequest['publicKey'],
          keyPem: pair.privateKeyPem,
        });
      } catch (err) {
        failed.set(order.id, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(KEY_TAKES_AT_ONCE, serviceKeyed.length) }, taker));
  const leaves = await s.issuer.issueMany(
    keyed.map(({ order, publicKey }) => ({
      names: splitNames(order.names),
      publicKey,
      // Back-dated a minute for clock skew, inside the validity: X.509 counts notAfter in, so the period
      // (notAfter - notBefore + 1 s, as the CA/Browser Forum measures it) is exactly the product's.
      notBefore: now - 60_000,
      notAfter: now - 60_000 + validityMs(findProduct(order.product_code)!, now) - 1_000,
    })),
  );
  const made = keyed.map(({ order, keyPem }, i) => {
    const issued = leaves[i]!;
    if (issued instanceof Error) {
      failed.set(order.id, issued);
      return undefined;
    }
    const certId = randomId();
    const keySealed = keyPem ? s.masterKey.seal(keyPem, certificateKeyContext(certId)) : null;
    return { order, issued, certId, keySealed };
  });
  const ready = made.filter((m) => m !== undefined);
  const issued = new Set<number>();
  if (ready.length === 0) return { issued, failed };
  await s.store.transaction(async (tx) => {
    const marked = await tx.orders.markIssued(
      ready.map((m) => ({ id: m.order.id, certificateId: m.certId })),
      now,
    );
    const group = new Map(marked.map((r) => [r.id, r.resource_group_id]));
    const stored = ready.filter((m) => group.has(m.order.id));
    await tx.certificates.insertMany(
      stored.map(({ order, issued: leaf, certId, keySealed }) => ({
        id: certId,
        account_uid: order.account_uid,
        order_id: order.id,
        source: 'issued' as const,
        name: `cert-${order.id}`,
        ...certificateColumns(leaf.info),
        chain_pem: leaf.chainPem,
        key_sealed: keySealed,
        // As the order's group stands now (MoveResourceGroup waits for this transaction on the order row).
        resource_group_id: group.get(order.id) ?? null,
        revoked_at: null,
        revoke_reason: null,
        created_at: now,
        deleted_at: null,
        tags: null,
      })),
    );
    const perPlan = new Map<number, number>();
    for (const m of stored)
      perPlan.set(Number(m.order.plan_id), (perPlan.get(Number(m.order.plan_id)) ?? 0) + 1);
    for (const [planId, count] of perPlan) await tx.plans.addIssued(planId, count);
    await tx.orders.addEvents(
      stored.map(({ order, issued: leaf, certId }) => ({
        order_id: order.id,
        account_uid: order.account_uid,
        at: now,
        kind: 'issued',
        from_status: 'process',
        to_status: 'certificate',
        actor,
        detail: `certificate ${certId} issued, serial ${leaf.serialHex}, valid until ${new Date(leaf.notAfter).toISOString()}`,
      })),
    );
    for (const m of stored) issued.add(m.order.id);
  });
  return { issued, failed };
}

/** A `domain_verify` order every name of which passed validation, and what the check said. */
export interface PassedValidation {
  order: OrderRow;
  /** The validation event's text. */
  detail: string;
}

/**
 * Records passed validations together, in one transaction: the validation events, the validated names (for
 * reuse), and each order's move to `process` (conditional: a cancel that landed meanwhile wins) with its
 * state event. Returns the orders that moved.
 */
export async function passValidations(
  s: Services,
  passed: PassedValidation[],
  at: number,
  actor: string,
): Promise<Set<number>> {
  if (passed.length === 0) return new Set();
  return s.store.transaction(async (tx) => {
    const event = (order: OrderRow) => ({ order_id: order.id, account_uid: order.account_uid, at, actor });
    await tx.orders.addEvents(
      passed.map(({ order, detail }) => ({
        ...event(order),
        kind: 'validation',
        from_status: null,
        to_status: null,
        detail,
      })),
    );
    await tx.orders.recordValidations(
      passed.flatMap(({ order }) =>
        splitNames(order.names).map((name) => ({
          account_uid: order.account_uid,
          name,
          method: order.validate_type,
          validated_at: at,
        })),
      ),
    );
    const moved = new Set(
      await tx.orders.passValidation(
        passed.map((p) => p.order.id),
        at,
      ),
    );
    await tx.orders.addEvents(
      passed
        .filter((p) => moved.has(p.order.id))
        .map(({ order }) => ({
          ...event(order),
          kind: 'state',
          from_status: 'domain_verify' as const,
          to_status: 'process' as const,
          detail: 'domain control validated for every name',
        })),
    );
    return moved;
  });
}

/** The key of a certificate (service-generated or uploaded), unsealed. */
export function certificateKey(s: Services, certId: number, sealed: string | null): string | undefined {
  return sealed ? s.masterKey.openString(sealed, certificateKeyContext(certId)) : undefined;
}

export { splitNames };

/** An order and its history, for operators (admin CLI). */
export async function orderWithHistory(s: Services, orderId: number) {
  const o = await s.store.orders.findAny(orderId);
  if (!o) throw Errors.notFoundOrder(orderId);
  const iso = (t: number | null) => (t === null ? null : new Date(Number(t)).toISOString());
  const history = (await s.store.orders.events(orderId)).map((e) => ({
    at: iso(e.at)!,
    kind: e.kind,
    from: e.from_status,
    to: e.to_status,
    actor: e.actor,
    detail: e.detail,
  }));
  return {
    order: {
      orderId: Number(o.id),
      accountUid: Number(o.account_uid),
      productCode: o.product_code,
      status: o.status,
      names: splitNames(o.names),
      validateType: o.validate_type,
      validatedNames: splitNames(o.validated_names),
      approval: o.approval,
      certificateId: o.certificate_id === null ? null : Number(o.certificate_id),
      checkAttempts: Number(o.check_attempts),
      nextCheckAt: iso(o.next_check_at),
      validationDeadline: iso(o.validation_deadline),
      createdAt: iso(o.created_at),
      issuedAt: iso(o.issued_at),
      revokedAt: iso(o.revoked_at),
      deletedAt: iso(o.deleted_at),
      renewedFrom: o.renewed_from === null ? null : Number(o.renewed_from),
    },
    history,
  };
}
