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
import { UploadUserCertificate } from './UploadUserCertificate.js';
import { GetUserCertificateDetail } from './GetUserCertificateDetail.js';
import { DeleteUserCertificate } from './DeleteUserCertificate.js';
import { CreateCsr } from './CreateCsr.js';
import { UploadCsr } from './UploadCsr.js';
import { ListCsr } from './ListCsr.js';
import { GetCsrDetail } from './GetCsrDetail.js';
import { UpdateCsr } from './UpdateCsr.js';
import { DeleteCsr } from './DeleteCsr.js';
import { ListContact } from './ListContact.js';
import { MoveResourceGroup } from './MoveResourceGroup.js';
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
    UploadUserCertificate,
    GetUserCertificateDetail,
    DeleteUserCertificate,
    CreateCsr,
    UploadCsr,
    ListCsr,
    GetCsrDetail,
    UpdateCsr,
    DeleteCsr,
    ListContact,
    MoveResourceGroup,
  ].map((a) => [a.name, a]),
);
