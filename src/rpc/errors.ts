/**
 * The error catalogue. Code anywhere throws an ApiError; only rpc/ turns it into a response body.
 * Codes and HTTP statuses follow decisions.md 5 and protocol.md section 6.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const Errors = {
  missingParameter: (name: string) =>
    new ApiError(
      'MissingParameter',
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
      400,
    ),
  invalidParameter: (name: string, why: string) =>
    new ApiError('InvalidParameter', `The specified parameter "${name}" is not valid: ${why}`, 400),
  incompleteSignature: (why: string) =>
    new ApiError(
      'IncompleteSignature',
      `The request signature does not conform to Aliyun standards: ${why}`,
      400,
    ),
  signatureDoesNotMatch: (stringToSign: string) =>
    new ApiError(
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${
        stringToSign.length > 4096 ? stringToSign.slice(0, 4096) + '...' : stringToSign
      }`,
      400,
    ),
  contentHashDoesNotMatch: () =>
    new ApiError(
      'SignatureDoesNotMatch',
      'The x-acs-content-sha256 header does not match the SHA-256 of the request body.',
      400,
    ),
  invalidSignatureMethod: (method: string) =>
    new ApiError(
      'InvalidSignatureMethod',
      `Specified signature method "${method}" is not supported; use HMAC-SHA1.`,
      400,
    ),
  accessKeyNotFound: () =>
    new ApiError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404),
  accessKeyInactive: () =>
    new ApiError('InvalidAccessKeyId.Inactive', 'Specified access key is disabled.', 400),
  securityTokenUnsupported: () =>
    new ApiError(
      'InvalidSecurityToken.Malformed',
      'Security tokens (STS) are not issued by this service; sign with an AccessKey pair.',
      400,
    ),
  nonceUsed: () => new ApiError('SignatureNonceUsed', 'Specified signature nonce was used already.', 400),
  timestampExpired: (ts: string) =>
    new ApiError(
      'InvalidTimeStamp.Expired',
      `Specified time stamp or date value is expired: ${ts} is more than 15 minutes away from the server time.`,
      400,
    ),
  timestampFormat: (name: string, ts: string) =>
    new ApiError(
      'InvalidTimeStamp.Format',
      `Specified time stamp or date value is not well formatted: ${name}="${ts}", expected YYYY-MM-DDThh:mm:ssZ in UTC.`,
      400,
    ),
  invalidVersion: (version: string) =>
    new ApiError(
      'InvalidVersion',
      `Specified parameter Version "${version}" is not valid; this service speaks 2020-04-07.`,
      400,
    ),
  actionNotFound: (action: string) =>
    new ApiError(
      'InvalidAction.NotFound',
      `Specified api "${action}" is not found, please check your url and method.`,
      404,
    ),
  pathNotFound: () =>
    new ApiError(
      'InvalidAction.NotFound',
      'Specified api is not found, please check your url and method.',
      404,
    ),
  throttled: () => new ApiError('Throttling.User', 'Request was denied due to user flow control.', 400),
  internal: () =>
    new ApiError('InternalError', 'The request processing has failed due to some unknown error.', 500),

  // CAS codes (api.md 1.3) and the project's own (decisions.md 5).
  notFoundPackage: (productCode: string) =>
    new ApiError(
      'NotFoundPackage',
      `No resource plan for ProductCode "${productCode}" has been granted to this account.`,
      404,
    ),
  notRemainCount: (productCode: string) =>
    new ApiError(
      'NotRemainCount',
      `The resource plan for ProductCode "${productCode}" has no certificates left.`,
      404,
    ),
  notFoundOrder: (orderId: number | string) =>
    new ApiError('NotFoundOrder', `The order ${orderId} does not exist.`, 404),
  orderStateError: (why: string) => new ApiError('OrderStateError', why, 403),
  /** An unknown or another account's CertId or CsrId (decisions.md 5): `param` names the parameter. */
  notFoundCertificate: (param: string, id: number | string) =>
    new ApiError('NotFoundCertificate', `The resource ${param}=${id} does not exist.`, 404),
  nameRepeat: (name: string) =>
    new ApiError(
      'NameRepeat',
      `The specified parameter "Name" is not valid: a certificate named "${name}" already exists in this account.`,
      400,
    ),
} as const;
