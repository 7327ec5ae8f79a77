import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NameError, normalizeDomain, registrableDomain } from '../../src/domain/names.js';
import { DEFAULT_DENY_CIDRS, newToken, parseCidrList } from '../../src/validation/index.js';

function rejects(input: string, reason: RegExp): void {
  assert.throws(
    () => normalizeDomain(input),
    (err: unknown) => {
      assert.ok(err instanceof NameError, `${input}: expected a NameError, got ${String(err)}`);
      assert.match(err.message, reason, `${JSON.stringify(input)}: "${err.message}"`);
      return true;
    },
  );
}

describe('normalizeDomain', () => {
  it('accepts plain names and reports the base', () => {
    assert.deepEqual(normalizeDomain('example.com'), {
      name: 'example.com',
      wildcard: false,
      base: 'example.com',
    });
    assert.deepEqual(normalizeDomain('a-b.c9.example.co.uk'), {
      name: 'a-b.c9.example.co.uk',
      wildcard: false,
      base: 'a-b.c9.example.co.uk',
    });
  });

  it('lower-cases, trims and strips one trailing dot', () => {
    assert.equal(normalizeDomain('  WWW.Example.COM.  ').name, 'www.example.com');
    assert.equal(normalizeDomain('Example.com.').name, 'example.com');
    rejects('example.com..', /empty label/);
  });

  it('turns Unicode names into punycode', () => {
    assert.equal(normalizeDomain('bücher.de').name, 'xn--bcher-kva.de');
    assert.equal(normalizeDomain('例え.jp').name, 'xn--r8jz45g.jp');
    assert.equal(normalizeDomain('BÜCHER.example.com').name, 'xn--bcher-kva.example.com');
    assert.deepEqual(normalizeDomain('*.bücher.de'), {
      name: '*.xn--bcher-kva.de',
      wildcard: true,
      base: 'xn--bcher-kva.de',
    });
    assert.equal(normalizeDomain('xn--bcher-kva.de').name, 'xn--bcher-kva.de');
    rejects('xn--zz.com', /internationalised/);
  });

  it('accepts a single leading wildcard label', () => {
    assert.deepEqual(normalizeDomain('*.example.com'), {
      name: '*.example.com',
      wildcard: true,
      base: 'example.com',
    });
    assert.deepEqual(normalizeDomain('*.WWW.example.com.'), {
      name: '*.www.example.com',
      wildcard: true,
      base: 'www.example.com',
    });
  });

  it('rejects * anywhere but as the whole first label', () => {
    rejects('www.*.example.com', /'\*' is only allowed as the whole first label/);
    rejects('*www.example.com', /'\*' is only allowed/);
    rejects('w*.example.com', /'\*' is only allowed/);
    rejects('*.*.example.com', /'\*' is only allowed/);
    rejects('example.*', /'\*' is only allowed/);
    rejects('*', /'\*' is only allowed|empty/);
  });

  it('rejects the empty name', () => {
    rejects('', /empty/);
    rejects('   ', /empty/);
    rejects('.', /not a domain name/);
  });

  it('rejects IP addresses', () => {
    rejects('192.0.2.1', /IP address/);
    rejects('127.0.0.1.', /IP address/);
    rejects('::1', /IP address/);
    rejects('2001:db8::1', /IP address/);
    rejects('[2001:db8::1]', /IP address/);
    rejects('*.192.0.2.1', /IP address/);
    rejects('127.1', /IPv4/);
    rejects('0x7f.1', /IPv4/);
    rejects('example.123', /IPv4/);
  });

  it('rejects bare TLDs and public suffixes', () => {
    rejects('com', /top-level domain/);
    rejects('COM.', /top-level domain/);
    rejects('localhost', /top-level domain/);
    rejects('test', /top-level domain/);
    rejects('co.uk', /public suffix/);
    rejects('com.cn', /public suffix/);
  });

  it('rejects a wildcard directly on a public suffix', () => {
    rejects('*.com', /wildcard cannot sit directly on a top-level domain/);
    rejects('*.co.uk', /wildcard cannot sit directly on the public suffix "co.uk"/);
    rejects('*.test', /wildcard/);
  });

  it('allows names under the reserved TLDs for testing and private use, with two labels or more', () => {
    assert.equal(normalizeDomain('example.test').name, 'example.test');
    assert.equal(normalizeDomain('db.corp.internal').name, 'db.corp.internal');
    assert.equal(normalizeDomain('*.corp.internal').name, '*.corp.internal');
    assert.equal(normalizeDomain('foo.localhost').name, 'foo.localhost');
    assert.equal(normalizeDomain('www.Example.EXAMPLE.').name, 'www.example.example');
    assert.equal(normalizeDomain('router.home.arpa').name, 'router.home.arpa');
  });

  it('rejects names under any other TLD the Public Suffix List does not know (typos, .lan, .local)', () => {
    rejects('www.example.con', /"\.con", which is not a top-level domain of the Public Suffix List/);
    rejects('example.cmo', /not a top-level domain/);
    rejects('*.corp.lan', /"\.lan"/);
    rejects('printer.local', /"\.local"/);
    rejects('a.b.invalid', /"\.invalid"/);
    // Delegated TLDs, internationalised ones included, stay accepted.
    assert.equal(normalizeDomain('example.xn--fiqs8s').name, 'example.xn--fiqs8s');
    assert.equal(normalizeDomain('例子.中国').name, 'xn--fsqu00a.xn--fiqs8s');
    assert.equal(normalizeDomain('example.dev').name, 'example.dev');
  });

  it('rejects names longer than 253 characters', () => {
    const label = 'a'.repeat(63);
    const ok = [label, label, label, 'a'.repeat(57), 'com'].join('.'); // 253
    assert.equal(ok.length, 253);
    assert.equal(normalizeDomain(ok).name, ok);
    assert.equal(normalizeDomain(ok + '.').name, ok);
    rejects(ok.replace('.com', 'b.com'), /254 characters long.*at most 253/);
    rejects('x.' + ok, /255 characters long/);
    assert.equal(normalizeDomain('*.' + ok.slice(2)).name.length, 253);
    rejects('*.' + ok.slice(1), /254 characters long/);
    rejects('x'.repeat(5000) + '.com', /longer than 253/);
    // The limit applies to the punycode form.
    const unicode =
      Array(5)
        .fill('ü' + 'a'.repeat(45))
        .join('.') + '.com';
    assert.ok(unicode.length <= 253);
    rejects(unicode, /characters long in ASCII/);
  });

  it('rejects empty labels', () => {
    rejects('a..example.com', /empty label/);
    rejects('.example.com', /empty label/);
    rejects('*..example.com', /empty label/);
    rejects('a。。example.com', /empty label/);
  });

  it('rejects labels longer than 63 characters', () => {
    assert.equal(normalizeDomain('a'.repeat(63) + '.com').name.length, 67);
    rejects('a'.repeat(64) + '.com', /label of 64 characters/);
  });

  it('rejects underscores and characters outside a-z 0-9 -', () => {
    rejects('_dnsauth.example.com', /underscore/);
    rejects('a_b.example.com', /underscore/);
    rejects('a b.example.com', /" "|internationalised|only letters/);
    rejects('a!b.example.com', /"!"|only letters|internationalised/);
    rejects('a/b.example.com', /"\/"|only letters|internationalised/);
    rejects('a:b.example.com', /":"|only letters|internationalised/);
  });

  it('rejects labels starting or ending with a hyphen', () => {
    rejects('-a.example.com', /starts or ends with '-'/);
    rejects('a-.example.com', /starts or ends with '-'/);
    rejects('example-.com', /starts or ends with '-'/);
    assert.equal(normalizeDomain('a--b.example.com').name, 'a--b.example.com');
  });

  it('throws a NameError that is an Error', () => {
    try {
      normalizeDomain('com');
      assert.fail('expected a throw');
    } catch (err) {
      assert.ok(err instanceof Error);
      assert.equal((err as Error).name, 'NameError');
    }
  });
});

describe('registrableDomain', () => {
  it('finds the registrable domain from the Public Suffix List', () => {
    assert.equal(registrableDomain('www.example.com'), 'example.com');
    assert.equal(registrableDomain('example.com'), 'example.com');
    assert.equal(registrableDomain('a.b.example.co.uk'), 'example.co.uk');
    assert.equal(registrableDomain('*.www.example.com'), 'example.com');
    assert.equal(registrableDomain('www.example.test'), 'example.test');
  });

  it('is null for a bare suffix or an address', () => {
    assert.equal(registrableDomain('com'), null);
    assert.equal(registrableDomain('co.uk'), null);
    assert.equal(registrableDomain('192.0.2.1'), null);
  });
});

describe('newToken', () => {
  it('is a UTC yyyyMMddHHmmss prefix and 50 random lower-case letters and digits', () => {
    const now = Date.UTC(2020, 3, 20, 7, 8, 9, 999);
    const t = newToken(now);
    assert.equal(t.length, 64);
    assert.match(t, /^20200420070809[a-z0-9]{50}$/);
    assert.notEqual(newToken(now), t);
  });

  it('uses the whole alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) for (const c of newToken(0).slice(14)) seen.add(c);
    assert.equal(seen.size, 36);
    assert.match(newToken(0), /^19700101000000/);
  });
});

describe('parseCidrList', () => {
  it('parses, normalises and accepts bare addresses', () => {
    assert.deepEqual(parseCidrList(''), []);
    assert.deepEqual(parseCidrList(' , '), []);
    assert.deepEqual(parseCidrList('10.0.0.0/8, 192.0.2.1,FE80::/10 ::1'), [
      '10.0.0.0/8',
      '192.0.2.1/32',
      'fe80::/10',
      '::1/128',
    ]);
  });

  it('names the bad entry', () => {
    assert.throws(() => parseCidrList('10.0.0.0/8,bogus/8'), /"bogus\/8".*not an IPv4 or IPv6 address/);
    assert.throws(() => parseCidrList('10.0.0.0/33'), /"10.0.0.0\/33".*0 to 32/);
    assert.throws(() => parseCidrList('::/129'), /"::\/129".*0 to 128/);
    assert.throws(() => parseCidrList('10.0.0.0/'), /"10.0.0.0\/"/);
    assert.throws(() => parseCidrList('10.0.0.0/x'), /"10.0.0.0\/x"/);
  });

  it('accepts the default deny list', () => {
    assert.deepEqual(parseCidrList(DEFAULT_DENY_CIDRS.join(',')), DEFAULT_DENY_CIDRS);
    for (const c of ['127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/8', '::1/128', 'fe80::/10'])
      assert.ok(DEFAULT_DENY_CIDRS.includes(c), c);
  });
});
