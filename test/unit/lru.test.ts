import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruMap } from '../../src/lru.js';

describe('LruMap', () => {
  it('never holds more than its limit, and drops the least recently used entry first', () => {
    const m = new LruMap<string, number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    assert.equal(m.get('a'), 1); // a is now the most recently used
    m.set('d', 4); // b goes
    assert.equal(m.size, 3);
    assert.equal(m.has('b'), false);
    assert.deepEqual(
      ['a', 'c', 'd'].map((k) => m.get(k)),
      [1, 3, 4],
    );
    m.set('c', 30); // replacing an entry makes no room
    assert.equal(m.size, 3);
    assert.equal(m.get('c'), 30);
    for (let i = 0; i < 1000; i++) m.set(`k${i}`, i);
    assert.equal(m.size, 3);
    assert.deepEqual(
      ['k997', 'k998', 'k999'].map((k) => m.get(k)),
      [997, 998, 999],
    );
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new LruMap(0));
  });
});
