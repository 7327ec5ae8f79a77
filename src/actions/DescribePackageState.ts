import { packageState } from '../domain/plans.js';
import { DEFAULT_PRODUCT_CODE, PRODUCTS } from '../domain/products.js';
import type { Action } from './types.js';
import { optionalEnum } from './params.js';

const CODES = PRODUCTS.map((p) => p.code);

/** api.md 4.1, decisions.md 8 and 9: the stored counters of the account's active plans for one ProductCode. */
export const DescribePackageState: Action = {
  name: 'DescribePackageState',
  async handle(ctx, params) {
    const productCode = optionalEnum(params, 'ProductCode', CODES) ?? DEFAULT_PRODUCT_CODE;
    const c = await packageState(ctx.services, ctx.accountUid, productCode);
    return {
      TotalCount: c.totalCount,
      UsedCount: c.usedCount,
      IssuedCount: c.issuedCount,
      ProductCode: productCode,
    };
  },
};
