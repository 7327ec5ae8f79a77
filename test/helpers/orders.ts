import assert from 'node:assert/strict';
import { Models, type CasClient } from './server.js';

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
