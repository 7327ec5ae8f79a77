import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_DENY_CIDRS,
  DnsValidator,
  FILE_URI,
  HttpFileValidator,
  createValidator,
  newToken,
  type ValidationConfig,
} from '../../src/validation/index.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

let dns: TestDnsServer;
let cfg: ValidationConfig;

before(async () => {
  dns = await startDnsServer();
  dns.setZone('example.test');
  cfg = { dnsServers: [dns.address], httpPort: 80, denyCidrs: [], timeoutMs: 2000 };
});

after(async () => {
  await dns.close();
});

describe('DNS validation', () => {
  let v: DnsValidator;
  const token = newToken(Date.now());
  before(() => {
    v = new DnsValidator(cfg);
  });
  const check = (name: string) => v.check({ name, method: 'DNS', token });

  it('passes with the token at _dnsauth.<apex>, next to an unrelated TXT value', async () => {
    dns.setTxt('_dnsauth.example.test', ['v=spf1 -all', token]);
    const r = await check('example.test');
    assert.deepEqual(r, { ok: true, detail: 'TXT _dnsauth.example.test holds the token' });
    dns.clear('_dnsauth.example.test');
  });

  it('passes for a wildcard with the token at _dnsauth.<base>', async () => {
    dns.setTxt('_dnsauth.example.test', [token]);
    const r = await check('*.example.test');
    assert.deepEqual(r, { ok: true, detail: 'TXT _dnsauth.example.test holds the token' });
    dns.clear('_dnsauth.example.test');
  });

  it('passes for www with the token at _dnsauth.www.<apex>', async () => {
    dns.setTxt('_dnsauth.www.example.test', [token]);
    const r = await check('www.example.test');
    assert.deepEqual(r, { ok: true, detail: 'TXT _dnsauth.www.example.test holds the token' });
    dns.clear('_dnsauth.www.example.test');
  });

  it('passes for www with the token only at the apex (parent rule)', async () => {
    dns.setTxt('_dnsauth.example.test', [token]);
    const r = await check('www.example.test');
    assert.deepEqual(r, { ok: true, detail: 'TXT _dnsauth.example.test holds the token' });
    dns.clear('_dnsauth.example.test');
  });

  it('passes with the token at an intermediate parent', async () => {
    dns.setTxt('_dnsauth.b.example.test', [token]);
    const r = await check('a.b.example.test');
    assert.deepEqual(r, { ok: true, detail: 'TXT _dnsauth.b.example.test holds the token' });
    dns.clear('_dnsauth.b.example.test');
  });

  it('passes with a TXT value split into several strings, or quoted', async () => {
    dns.setTxt('_dnsauth.example.test', [[token.slice(0, 20), token.slice(20, 40), token.slice(40)]]);
    assert.equal((await check('example.test')).ok, true);
    dns.setTxt('_dnsauth.example.test', [`"${token}"`]);
    assert.equal((await check('example.test')).ok, true);
    dns.setTxt('_dnsauth.example.test', [['"', token, '"']]);
    assert.equal((await check('example.test')).ok, true);
    dns.clear('_dnsauth.example.test');
  });

  it('fails with a wrong value, saying what it found', async () => {
    dns.setTxt('_dnsauth.example.test', ['not-the-token']);
    const r = await check('www.example.test');
    assert.equal(r.ok, false);
    assert.match(r.detail, /TXT _dnsauth\.example\.test holds a value but not the token \("not-the-token"\)/);
    assert.match(r.detail, /no TXT record at _dnsauth\.www\.example\.test/);
    dns.clear('_dnsauth.example.test');
  });

  it('fails with no record, naming every name it looked at', async () => {
    const r = await check('a.b.example.test');
    assert.deepEqual(r, {
      ok: false,
      detail: 'no TXT record at _dnsauth.a.b.example.test, _dnsauth.b.example.test or _dnsauth.example.test',
    });
  });

  it('does not look above the zone apex', async () => {
    dns.setZone('sub.example.test');
    dns.setTxt('_dnsauth.example.test', [token]);
    const r = await check('www.sub.example.test');
    assert.deepEqual(r, {
      ok: false,
      detail: 'no TXT record at _dnsauth.www.sub.example.test or _dnsauth.sub.example.test',
    });
    dns.setTxt('_dnsauth.sub.example.test', [token]);
    assert.equal((await check('www.sub.example.test')).ok, true);
    dns.clear('_dnsauth.sub.example.test');
    dns.clear('_dnsauth.example.test');
    dns.clear('sub.example.test');
  });

  it('gives the record domain relative to the zone apex', async () => {
    assert.equal(await v.recordDomain('example.test'), '_dnsauth');
    assert.equal(await v.recordDomain('*.example.test'), '_dnsauth');
    assert.equal(await v.recordDomain('www.example.test'), '_dnsauth.www');
    assert.equal(await v.recordDomain('*.www.example.test'), '_dnsauth.www');
    assert.equal(await v.recordDomain('a.b.example.test'), '_dnsauth.a.b');
    dns.setZone('sub.example.test');
    assert.equal(await v.findZoneApex('www.sub.example.test'), 'sub.example.test');
    assert.equal(await v.recordDomain('www.sub.example.test'), '_dnsauth.www');
    assert.equal(await v.recordDomain('sub.example.test'), '_dnsauth');
    dns.clear('sub.example.test');
    assert.equal(await v.recordDomain('www.sub.example.test'), '_dnsauth.www.sub');
  });

  it('gives one record for several names: their deepest common parent in one zone, none across zones', async () => {
    const shared = (...names: string[]) => v.sharedRecordDomain(names);
    assert.equal(await shared('www.example.test'), '_dnsauth.www');
    assert.equal(await shared('a.example.test', 'b.example.test'), '_dnsauth');
    assert.equal(await shared('www.shop.example.test', 'api.shop.example.test'), '_dnsauth.shop');
    assert.equal(await shared('*.shop.example.test', 'x.y.shop.example.test'), '_dnsauth.shop');
    assert.equal(await shared('example.test', 'www.example.test'), '_dnsauth');
    // Another zone (here the registrable-domain fallback), or a delegated sub-zone: no record proves both.
    assert.equal(await shared('www.example.test', 'www.nozone.test'), null);
    dns.setZone('sub.example.test');
    assert.equal(await shared('www.sub.example.test', 'www.example.test'), null);
    assert.equal(await shared('a.sub.example.test', 'b.sub.example.test'), '_dnsauth');
    dns.clear('sub.example.test');
  });

  it('falls back to the registrable domain when no SOA answers', async () => {
    assert.equal(await v.findZoneApex('a.b.nozone.test'), 'nozone.test');
    assert.equal(await v.recordDomain('a.b.nozone.test'), '_dnsauth.a.b');
    assert.equal(await v.recordDomain('*.nozone.test'), '_dnsauth');
    // The walk stops at the registrable domain: the TLD is never asked for.
    assert.ok(!dns.queries.includes('SOA test'), dns.queries.join(', '));
    const r = await check('www.nozone.test');
    assert.deepEqual(r, {
      ok: false,
      detail: 'no TXT record at _dnsauth.www.nozone.test or _dnsauth.nozone.test',
    });
  });

  it('fails, without throwing and within the timeout, when the resolver never answers', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const dead = new DnsValidator({ dnsServers: [`127.0.0.1:${port}`], timeoutMs: 400 });
    const started = Date.now();
    const r = await dead.check({ name: 'www.example.test', method: 'DNS', token });
    assert.equal(r.ok, false);
    assert.match(r.detail, /timed out/);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.equal(await dead.findZoneApex('www.example.test'), 'example.test');
    silent.close();
  });

  it('refuses a bad resolver address at construction', () => {
    assert.throws(() => new DnsValidator({ dnsServers: ['not-an-address'], timeoutMs: 100 }));
  });
});

describe('HTTP file validation', () => {
  let server: http.Server;
  let port: number;
  const token = newToken(Date.now());
  const hosts: string[] = [];
  let fileCfg: ValidationConfig;

  before(async () => {
    server = http.createServer((req, res) => {
      hosts.push(String(req.headers.host));
      const name = String(req.headers.host).split(':')[0] ?? '';
      const label = name.split('.')[0];
      if (req.url !== FILE_URI) {
        res.writeHead(404).end();
        return;
      }
      switch (label) {
        case 'ok':
        case 'multi':
          res.end(token);
          return;
        case 'bom':
          res.end('\uFEFF' + token + '\r\n');
          return;
        case 'wrong':
          res.end('something else\n');
          return;
        case 'redirect':
          res.writeHead(302, { Location: `http://elsewhere.example.test${FILE_URI}` }).end();
          return;
        case 'big':
          res.end(token + ' '.repeat(10 * 1024));
          return;
        case 'stream':
          // No Content-Length: the cap must hold while reading.
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write(token);
          for (let i = 0; i < 10; i++) res.write(' '.repeat(1024));
          res.end();
          return;
        case 'missing':
          res.writeHead(404).end('not here');
          return;
        case 'hang':
          return; // never answers
        default:
          res.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    fileCfg = { ...cfg, httpPort: port, timeoutMs: 1000 };
    for (const label of ['ok', 'bom', 'wrong', 'redirect', 'big', 'stream', 'missing', 'hang'])
      dns.setA(`${label}.example.test`, ['127.0.0.1']);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const check = (name: string, c: Partial<ValidationConfig> = {}) =>
    new HttpFileValidator({ ...fileCfg, ...c }).check({ name, method: 'FILE', token });

  it('passes when the file holds the token, resolving through the configured resolver', async () => {
    hosts.length = 0;
    const r = await check('ok.example.test');
    assert.deepEqual(r, {
      ok: true,
      detail: `http://ok.example.test:${port}${FILE_URI} via 127.0.0.1 holds the token`,
    });
    assert.deepEqual(hosts, [`ok.example.test:${port}`]);
    assert.ok(dns.queries.includes('A ok.example.test'));
  });

  it('refuses a loopback address with the default deny list, naming the range', async () => {
    hosts.length = 0;
    const r = await check('ok.example.test', { denyCidrs: DEFAULT_DENY_CIDRS });
    assert.deepEqual(r, {
      ok: false,
      detail: 'ok.example.test: address 127.0.0.1 is in a denied range (127.0.0.0/8)',
    });
    assert.deepEqual(hosts, [], 'no request may reach a denied address');
  });

  it('refuses IPv6 loopback with the default deny list', async () => {
    dns.setA('v6.example.test', ['::1']);
    const r = await check('v6.example.test', { denyCidrs: DEFAULT_DENY_CIDRS });
    assert.deepEqual(r, { ok: false, detail: 'v6.example.test: address ::1 is in a denied range (::1/128)' });
  });

  it('skips denied and unreachable addresses and uses the others', async () => {
    dns.setA('multi.example.test', ['127.0.0.2', '127.0.0.3', '127.0.0.1']);
    const r = await check('multi.example.test', { denyCidrs: ['127.0.0.2/32'] });
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, /via 127\.0\.0\.1 holds the token/);
    const denied = await check('multi.example.test', { denyCidrs: ['127.0.0.0/8'] });
    assert.equal(denied.ok, false);
    assert.match(denied.detail, /127\.0\.0\.2 is in a denied range.*127\.0\.0\.3 is in a denied range/);
  });

  it('knows the default denied ranges', () => {
    const v = new HttpFileValidator({ ...fileCfg, denyCidrs: DEFAULT_DENY_CIDRS });
    assert.equal(v.deniedRange('127.0.0.1'), '127.0.0.0/8');
    assert.equal(v.deniedRange('169.254.169.254'), '169.254.0.0/16');
    assert.equal(v.deniedRange('0.0.0.0'), '0.0.0.0/8');
    assert.equal(v.deniedRange('100.100.100.200'), '100.100.100.200/32');
    assert.equal(v.deniedRange('::1'), '::1/128');
    assert.equal(v.deniedRange('::'), '::/128');
    assert.equal(v.deniedRange('fe80::1'), 'fe80::/10');
    assert.equal(v.deniedRange('fd00:ec2::254'), 'fd00:ec2::254/128');
    assert.ok(v.deniedRange('::ffff:127.0.0.1'));
    assert.ok(v.deniedRange('::ffff:a9fe:a9fe'));
    assert.equal(v.deniedRange('192.0.2.10'), null);
    assert.equal(v.deniedRange('2001:db8::1'), null);
  });

  it('fails on a redirect, without following it', async () => {
    const r = await check('redirect.example.test');
    assert.equal(r.ok, false);
    assert.match(r.detail, /answered HTTP 302 \(redirect to ".*elsewhere.*"\); redirects are not followed/);
  });

  it('fails on a body over 4 KiB, declared or streamed', async () => {
    const big = await check('big.example.test');
    assert.equal(big.ok, false);
    assert.match(big.detail, /more than the 4096 allowed/);
    const stream = await check('stream.example.test');
    assert.equal(stream.ok, false);
    assert.match(stream.detail, /more than 4096 bytes/);
  });

  it('fails on wrong content, saying what it found', async () => {
    const r = await check('wrong.example.test');
    assert.equal(r.ok, false);
    assert.match(r.detail, /does not hold the token \(it holds "something else"\)/);
  });

  it('passes with a BOM and a trailing newline', async () => {
    const r = await check('bom.example.test');
    assert.equal(r.ok, true, r.detail);
  });

  it('fails on a 404', async () => {
    const r = await check('missing.example.test');
    assert.equal(r.ok, false);
    assert.match(r.detail, /answered HTTP 404/);
  });

  it('fails within the timeout when the server never answers', async () => {
    const started = Date.now();
    const r = await check('hang.example.test', { timeoutMs: 300 });
    const took = Date.now() - started;
    assert.equal(r.ok, false);
    assert.match(r.detail, /no answer within \d+ ms/);
    assert.ok(took < 1500, `took ${took} ms`);
  });

  it('fails when the name has no address', async () => {
    const r = await check('nothing.example.test');
    assert.deepEqual(r, { ok: false, detail: 'nothing.example.test has no A or AAAA record' });
  });

  it('refuses a wildcard', async () => {
    const r = await check('*.example.test');
    assert.equal(r.ok, false);
    assert.match(r.detail, /FILE validation cannot prove a wildcard/);
  });

  it('is reached through createValidator in real mode', async () => {
    const v = createValidator('real', fileCfg, 0, Date.now);
    assert.equal((await v.check({ name: 'ok.example.test', method: 'FILE', token })).ok, true);
    dns.setTxt('_dnsauth.example.test', [token]);
    assert.equal((await v.check({ name: 'ok.example.test', method: 'DNS', token })).ok, true);
    dns.clear('_dnsauth.example.test');
    const wrong = await v.check({ name: 'ok.example.test', method: 'DNS', token });
    assert.equal(wrong.ok, false);
  });

  it('rejects a bad deny list at construction', () => {
    assert.throws(
      () => createValidator('real', { ...fileCfg, denyCidrs: ['10.0.0.0/99'] }, 0, Date.now),
      /10\.0\.0\.0\/99/,
    );
  });
});

describe('sandbox validation', () => {
  it('fails before the delay and passes after it, per (name, token)', async () => {
    let t = 1_000_000;
    const v = createValidator('sandbox', cfg, 1000, () => t);
    const target = { name: 'anything.example', method: 'DNS' as const, token: 'x' };
    assert.deepEqual(await v.check(target), { ok: false, detail: 'sandbox mode: waiting 1000 ms' });
    t += 999;
    assert.deepEqual(await v.check(target), { ok: false, detail: 'sandbox mode: waiting 1 ms' });
    t += 1;
    assert.deepEqual(await v.check(target), { ok: true, detail: 'sandbox mode: passed without checking' });
    // Another token starts its own wait.
    assert.equal((await v.check({ ...target, token: 'y' })).ok, false);
    assert.equal((await v.check({ ...target, method: 'FILE' })).ok, true);
  });

  it('passes at once with no delay, without any network', async () => {
    const v = createValidator('sandbox', { ...cfg, dnsServers: [] }, 0, Date.now);
    assert.deepEqual(await v.check({ name: '*.nowhere.invalid', method: 'FILE', token: 't' }), {
      ok: true,
      detail: 'sandbox mode: passed without checking',
    });
  });
});
