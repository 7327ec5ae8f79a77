import { CancelCertificateForPackageRequest } from './CancelCertificateForPackageRequest.js';
import { CancelOrderRequest } from './CancelOrderRequest.js';
import { CreateCertificateForPackageRequest } from './CreateCertificateForPackageRequest.js';
import { CreateCertificateRequest } from './CreateCertificateRequest.js';
import { CreateCertificateWithCsrRequest } from './CreateCertificateWithCsrRequest.js';
import { DeleteCertificateRequest } from './DeleteCertificateRequest.js';
import { DescribeCertificateState } from './DescribeCertificateState.js';
import { DescribePackageState } from './DescribePackageState.js';
import { ListUserCertificateOrder } from './ListUserCertificateOrder.js';
import { RenewCertificateOrderForPackageRequest } from './RenewCertificateOrderForPackageRequest.js';
import type { Action } from './types.js';

/** Every action this server answers, by name. */
export const ACTIONS: ReadonlyMap<string, Action> = new Map(
  [
    DescribePackageState,
    CreateCertificateRequest,
    CreateCertificateWithCsrRequest,
    CreateCertificateForPackageRequest,
    DescribeCertificateState,
    CancelOrderRequest,
    CancelCertificateForPackageRequest,
    DeleteCertificateRequest,
    RenewCertificateOrderForPackageRequest,
    ListUserCertificateOrder,
  ].map((a) => [a.name, a]),
);
