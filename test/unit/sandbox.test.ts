import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SandboxValidator } from '../../src/validation/sandbox.js';

describe('sandbox validation in a cluster', () => {
  it('measures the delay from the stored submission time, so a server that never saw the order agrees', async () => {
    let now = 1_000_000;
    const fresh = new SandboxValidator(2000, () => now);
    const target = { name: 'a.example.test', method: 'DNS' as const, token: 't', since: now - 2500 };
    assert.equal((await fresh.check(target)).ok, true);
    const waiting = await fresh.check({ ...target, name: 'b.example.test', since: now - 500 });
    assert.deepEqual(waiting, { ok: false, detail: 'sandbox mode: waiting 1500 ms' });
    now += 1500;
    assert.equal((await fresh.check({ ...target, name: 'b.example.test', since: now - 2000 })).ok, true);
  });
});
