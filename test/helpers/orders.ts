import assert from 'node:assert/strict';
import { cliJson } from './cli.js';
import { Models, sdk, type CasClient, type Credentials, type TestServer } from './server.js';

/** DescribePackageState's three counters through the SDK. */
export async function counters(client: CasClient, productCode: string) {
  const b = (await client.describePackageState(new Models.DescribePackageStateRequest({ productCode })))
    .body!;
  return { total: b.totalCount, used: b.usedCount, issued: b.issuedCount };
}

/** Polls DescribeCertificateState until the order reaches `type`. */
export async function waitForType(client: CasClient, orderId: number, type: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (
      await client.describeCertificateState(new Models.DescribeCertificateStateRequest({ orderId }))
    ).body!;
    if (body.type === type) return body;
    if (Date.now() > deadline) assert.fail(`order ${orderId} stayed ${body.type}, expected ${type}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A contact for applications in tests. */
export const contact = { email: 'ops@example.test', phone: '13900000000', username: 'Ops Team' };

/** What the official clients raise (ClientError, ServerError, ThrottlingError, pop-core's <Code>Error). */
export interface SdkError {
  name: string;
  code: string;
  statusCode: number;
  message: string;
  data: Record<string, unknown>;
}

/** Awaits a call that must fail and returns what the client raised. */
export async function sdkError(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  assert.fail('the call was expected to fail');
}

/**
 * Awaits a call that must fail with `code` and HTTP `status`; its Message must name `param` (quoted, as
 * InvalidParameter and MissingParameter do) and match `why` when given. Returns the Message.
 */
export async function expectError(
  p: Promise<unknown>,
  code: string,
  status: number,
  param?: string,
  why?: RegExp,
): Promise<string> {
  const e = await sdkError(p);
  const message = String(e.data?.['Message'] ?? e.message);
  assert.deepEqual([e.code, e.statusCode], [code, status], `got ${e.code} ${e.statusCode}: ${message}`);
  if (param) assert.ok(message.includes(`"${param}"`), `the message should name ${param}: ${message}`);
  if (why) assert.match(message, why);
  return message;
}

/** A new account (admin CLI) and an SDK client with a key of its own. */
export function accountClient(server: TestServer, name: string): CasClient {
  const acct = cliJson<{ uid: number }>(server.dataDir, ['account', 'create', '--name', name]);
  return sdk(
    server.endpoint,
    cliJson<Credentials>(server.dataDir, ['key', 'create', '--account', String(acct.uid)]),
  );
}

/** Applies for `domain` (sandbox validation), waits for issuance; the order, its state and its CertId. */
export async function issuedCertificate(client: CasClient, domain: string) {
  const orderId = (
    await client.createCertificateRequest(
      new Models.CreateCertificateRequestRequest({ domain, validateType: 'DNS', ...contact }),
    )
  ).body!.orderId!;
  const state = await waitForType(client, orderId, 'certificate');
  const listed = (
    await client.listUserCertificateOrder(
      new Models.ListUserCertificateOrderRequest({ orderType: 'CERT', keyword: domain }),
    )
  ).body!.certificateOrderList!;
  assert.equal(listed.length, 1);
  return { orderId, state, certId: listed[0]!.certificateId! };
}
