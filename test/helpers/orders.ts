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
