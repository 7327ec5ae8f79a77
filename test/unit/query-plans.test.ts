import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';

/**
 * The list queries of ListUserCertificateOrder at a million orders (issue 6): SQLite's plans for every
 * OrderType, Status, Keyword and ResourceGroupId, read with EXPLAIN QUERY PLAN. Without statistics (OpenCAS
 * never runs ANALYZE) the plan does not depend on the data, so an empty store shows what a full one runs.
 */
describe('list query plans (SQLite)', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'opencas-plans-'));
    store = await Store.open(`sqlite:${path.join(dir, 'opencas.db')}`);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const base = { accountUid: 1, now: 1_000, willExpireMs: 100, offset: 40, limit: 20 };
  const extras = [{}, { keyword: 'shop' }, { resourceGroupId: 'rg-acfmvyd7nf2rmzq' }];
  const noScan = (plan: string[], what: string) => {
    for (const line of plan) {
      assert.doesNotMatch(line.trim(), /^SCAN /, `${what}: ${plan.join(' | ')}`);
      assert.doesNotMatch(line, /TEMP B-TREE/, `${what}: ${plan.join(' | ')}`);
    }
  };

  it('CPACK: every filter reads one account through an index, pages without sorting the account', async () => {
    for (const status of [
      undefined,
      'PAYED',
      'CHECKING',
      'CHECKED_FAIL',
      'ISSUED',
      'WILLEXPIRED',
      'EXPIRED',
      'REVOKED',
    ]) {
      for (const extra of extras) {
        const what = `CPACK ${status ?? '(any)'} ${JSON.stringify(extra)}`;
        const plan = await store.orders.explainList({ ...base, status, ...extra });
        noScan(plan.count, `${what} count`);
        noScan(plan.page, `${what} page`);
        assert.match(plan.page[0]!, /^SEARCH orders USING INDEX orders_account_/, `${what} page`);
      }
    }
  });

  it("CPACK: the TotalCount of the order's own filters is counted in an index alone", async () => {
    for (const status of [undefined, 'PAYED', 'CHECKING', 'CHECKED_FAIL', 'REVOKED']) {
      for (const extra of [{}, { resourceGroupId: 'rg-acfmvyd7nf2rmzq' }]) {
        const plan = await store.orders.explainList({ ...base, status, ...extra });
        assert.deepEqual(
          plan.count.length,
          1,
          `no join for ${status} ${JSON.stringify(extra)}: ${plan.count.join(' | ')}`,
        );
        assert.match(plan.count[0]!, /USING COVERING INDEX orders_account_/, plan.count.join(' | '));
      }
    }
  });

  it('CERT and UPLOAD: counted in the validity index alone, paged newest first without a sort', async () => {
    for (const uploadOnly of [false, true]) {
      for (const status of [undefined, 'ISSUED', 'WILLEXPIRED', 'EXPIRED']) {
        for (const extra of extras) {
          const what = `${uploadOnly ? 'UPLOAD' : 'CERT'} ${status ?? '(valid)'} ${JSON.stringify(extra)}`;
          const plan = await store.repository.explainList({ ...base, uploadOnly, status, ...extra });
          noScan(plan.count, `${what} count`);
          noScan(plan.page, `${what} page`);
          if (!('keyword' in extra) && !('resourceGroupId' in extra)) {
            assert.match(
              plan.count[0]!,
              /USING COVERING INDEX certificates_account_validity/,
              `${what}: ${plan.count.join(' | ')}`,
            );
          }
          assert.match(
            plan.page[0]!,
            /USING INDEX certificates_account_live/,
            `${what}: ${plan.page.join(' | ')}`,
          );
        }
      }
    }
  });
});
