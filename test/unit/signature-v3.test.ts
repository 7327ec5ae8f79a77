import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import {
  parseV3Authorization,
  v3CanonicalQuery,
  v3CanonicalRequest,
  v3Hash,
  v3Sign,
  v3StringToSign,
  type V3Algorithm,
} from '../../src/rpc/signature-v3.js';
import { decodePairs } from '../../src/rpc/encoding.js';
import { decodeRequest } from '../../src/rpc/params.js';

// Worked examples from protocol.md section 3 ("V3 worked examples").

const SHA256 = 'ACS3-HMAC-SHA256';
const SM3 = 'ACS3-HMAC-SM3';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const NONCE = '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf';
const DATE = '2024-01-02T03:04:05Z';
const BASE_SIGNED = 'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version';
const CORE_SIGNED =
  'host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version';

type Headers = Record<string, string>;

function lookup(headers: Headers): (name: string) => string | undefined {
  return (name) => headers[name];
}

function canonical(
  headers: Headers,
  signedHeaders: string,
  query: Iterable<[string, string]>,
  method = 'POST',
): string {
  return v3CanonicalRequest({
    method,
    path: '/',
    query,
    headers: lookup(headers),
    signedHeaders: signedHeaders.split(';'),
    payloadHash: headers['x-acs-content-sha256'] ?? EMPTY_SHA256,
  });
}

function sign(algorithm: V3Algorithm, secret: string, canonicalRequest: string): string {
  return v3Sign(algorithm, secret, v3StringToSign(algorithm, canonicalRequest));
}

/** V3-B headers: realistic cas host. */
function v3bHeaders(action = 'DescribePackageState'): Headers {
  return {
    host: 'cas.aliyuncs.com',
    'x-acs-action': action,
    'x-acs-content-sha256': EMPTY_SHA256,
    'x-acs-date': DATE,
    'x-acs-signature-nonce': NONCE,
    'x-acs-version': '2020-04-07',
  };
}

/** V3-C headers: what the real core client sent. */
function v3cHeaders(action = 'DescribePackageState'): Headers {
  return {
    ...v3bHeaders(action),
    host: '127.0.0.1:18765',
    'x-acs-credentials-provider': 'static_ak',
  };
}

describe('v3 signature: worked examples', () => {
  it('V3-A (published doc example)', () => {
    const headers: Headers = {
      host: 'ecs.cn-shanghai.aliyuncs.com',
      'x-acs-action': 'RunInstances',
      'x-acs-version': '2014-05-26',
      'x-acs-date': '2023-10-26T10:22:32Z',
      'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
      'x-acs-content-sha256': EMPTY_SHA256,
    };
    const query = decodePairs(
      'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
    );
    const cr = canonical(headers, BASE_SIGNED, query);
    assert.equal(v3Hash(SHA256, cr), '7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
    const sts = v3StringToSign(SHA256, cr);
    assert.equal(sts, 'ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
    assert.equal(
      v3Sign(SHA256, 'YourAccessKeySecret', sts),
      '06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
  });

  it('V3-B cas DescribePackageState: canonical request, StringToSign and signature', () => {
    const cr = canonical(v3bHeaders(), BASE_SIGNED, [['ProductCode', 'symantec-free-1-free']]);
    assert.equal(
      cr,
      [
        'POST',
        '/',
        'ProductCode=symantec-free-1-free',
        'host:cas.aliyuncs.com',
        'x-acs-action:DescribePackageState',
        `x-acs-content-sha256:${EMPTY_SHA256}`,
        'x-acs-date:2024-01-02T03:04:05Z',
        'x-acs-signature-nonce:3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
        'x-acs-version:2020-04-07',
        '',
        BASE_SIGNED,
        EMPTY_SHA256,
      ].join('\n'),
    );
    const sts = v3StringToSign(SHA256, cr);
    assert.equal(sts, 'ACS3-HMAC-SHA256\n6a7b8d4605c3bfa93fc1d51be3b35bf3371780e5ff3f9a5e11121e2f91d3e6e8');
    assert.equal(
      v3Sign(SHA256, 'testsecret', sts),
      'f82a895c1cec7e73ac1715a4378b249c9a2dd644f185a29f0806f44b79417a56',
    );
  });

  it('V3-C exactly what the core client sent (port in host, credentials-provider header)', () => {
    const cr = canonical(v3cHeaders(), CORE_SIGNED, [['ProductCode', 'symantec-free-1-free']]);
    assert.ok(cr.includes('\nhost:127.0.0.1:18765\n'));
    assert.ok(
      cr.includes(
        `\nx-acs-content-sha256:${EMPTY_SHA256}\nx-acs-credentials-provider:static_ak\nx-acs-date:`,
      ),
    );
    assert.equal(v3Hash(SHA256, cr), 'e94b059ae7c9d93c678cb84c8cc747e2ec11d5a8747c326bba0858322d01cf9c');
    assert.equal(
      sign(SHA256, 'testsecret', cr),
      '45bf5c9c7c3c8e9ce0274c9a93967c18294fce749913141e891c5157f89a4a01',
    );
  });

  it('V3-D special characters: canonical query and signature', () => {
    const wire =
      'Domain=*.example.com&Email=a.b%2Bc~d%40example.com&Phone=%2B86%20138*0000&ProductCode=digicert-free-1-free&Tags.1.Key=env&Tags.1.Value=dev%2Ftest%20(1)!%27&Tags.2.Key=k2&Tags.2.Value=%E4%B8%AD%E6%96%87&Username=Zhang%20San&ValidateType=DNS';
    const query = decodePairs(wire);
    assert.equal(
      v3CanonicalQuery(query),
      'Domain=%2A.example.com&Email=a.b%2Bc~d%40example.com&Phone=%2B86%20138%2A0000&ProductCode=digicert-free-1-free&Tags.1.Key=env&Tags.1.Value=dev%2Ftest%20%281%29%21%27&Tags.2.Key=k2&Tags.2.Value=%E4%B8%AD%E6%96%87&Username=Zhang%20San&ValidateType=DNS',
    );
    const cr = canonical(v3cHeaders('CreateCertificateRequest'), CORE_SIGNED, query);
    assert.equal(
      sign(SHA256, 'testsecret', cr),
      '65db39cc515a585a5042adaec186cf6dbcbe2cc9ac969cd58779e5ef630e9aa4',
    );
  });

  it('V3-E form body: content hash of the body bytes and signature', () => {
    const body = Buffer.from('Cert=line1%0Aline2%2B%2F%3D&Key=k%20v');
    const contentSha = '001b7cf8e882010a8b7afb18f57ae13761b4db126d60b951fc9d560647314afd';
    assert.equal(v3Hash(SHA256, body), contentSha);
    assert.equal(v3Hash(SHA256, body.toString('utf8')), contentSha);
    const contentType = 'application/x-www-form-urlencoded';
    const decoded = decodeRequest('/?Name=my%20cert', contentType, body);
    // Only the query goes into the canonical query; the body is covered by the content hash.
    assert.deepEqual(decoded.query, [['Name', 'my cert']]);
    const headers: Headers = {
      ...v3cHeaders('UploadUserCertificate'),
      'content-type': contentType,
      'x-acs-content-sha256': contentSha,
    };
    const cr = canonical(headers, `content-type;${CORE_SIGNED}`, decoded.query);
    assert.ok(cr.includes('\nName=my%20cert\ncontent-type:application/x-www-form-urlencoded\nhost:'));
    assert.ok(cr.endsWith(`\n${contentSha}`));
    assert.equal(
      sign(SHA256, 'testsecret', cr),
      'e602f54ece8d5d1934b49279c59f8d9c6e89c5b8b8bc4e60dd5d1bbbf8d7368a',
    );
  });

  it('V3-F empty value and reserved characters: canonical query and signature', () => {
    const query: Array<[string, string]> = [
      ['Empty', ''],
      ['Tags.1.Key', 'a b'],
      ['Tags.1.Value', "*~!'()+/"],
      ['Z', '中'],
    ];
    assert.equal(
      v3CanonicalQuery(query),
      'Empty=&Tags.1.Key=a%20b&Tags.1.Value=%2A~%21%27%28%29%2B%2F&Z=%E4%B8%AD',
    );
    const cr = canonical(v3bHeaders(), BASE_SIGNED, query);
    assert.equal(
      sign(SHA256, 'testsecret', cr),
      '84fa626d1672f2f4dbd34495134e34339ed29700a14801f56cdae220667fdd5a',
    );
  });
});

describe('v3CanonicalQuery / v3CanonicalRequest', () => {
  it('sorts by name regardless of input order', () => {
    assert.equal(
      v3CanonicalQuery([
        ['b', '2'],
        ['B', '3'],
        ['a', '1'],
      ]),
      'B=3&a=1&b=2',
    );
  });

  it('gives an empty line for an empty query', () => {
    assert.equal(v3CanonicalQuery([]), '');
    const cr = canonical(v3bHeaders(), BASE_SIGNED, []);
    assert.ok(cr.startsWith('POST\n/\n\nhost:cas.aliyuncs.com\n'));
  });

  it('upper-cases the method and trims header values', () => {
    const headers = { ...v3bHeaders(), host: '  cas.aliyuncs.com  ' };
    const cr = canonical(headers, BASE_SIGNED, [['ProductCode', 'symantec-free-1-free']], 'post');
    assert.equal(cr, canonical(v3bHeaders(), BASE_SIGNED, [['ProductCode', 'symantec-free-1-free']]));
    assert.ok(cr.startsWith('POST\n'));
  });

  it('a changed header value changes the signature', () => {
    const query: Array<[string, string]> = [['ProductCode', 'symantec-free-1-free']];
    const other = canonical({ ...v3bHeaders(), host: 'cas.aliyuncs.com:443' }, BASE_SIGNED, query);
    assert.notEqual(
      sign(SHA256, 'testsecret', other),
      'f82a895c1cec7e73ac1715a4378b249c9a2dd644f185a29f0806f44b79417a56',
    );
  });
});

describe('v3Hash', () => {
  it('SHA-256 of the empty body', () => {
    assert.equal(v3Hash(SHA256, ''), EMPTY_SHA256);
    assert.equal(v3Hash(SHA256, Buffer.alloc(0)), EMPTY_SHA256);
  });

  it('SM3 matches the published test vectors (GB/T 32905)', () => {
    assert.equal(v3Hash(SM3, ''), '1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b');
    assert.equal(v3Hash(SM3, 'abc'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  it('hashes the UTF-8 bytes of a string', () => {
    assert.equal(v3Hash(SHA256, '中'), createHash('sha256').update(Buffer.from('中', 'utf8')).digest('hex'));
  });
});

describe('ACS3-HMAC-SM3', () => {
  const cr = canonical(v3bHeaders(), BASE_SIGNED, [['ProductCode', 'symantec-free-1-free']]);

  it('StringToSign names the algorithm and uses the SM3 hash', () => {
    const sts = v3StringToSign(SM3, cr);
    assert.equal(sts, `ACS3-HMAC-SM3\n${createHash('sm3').update(cr, 'utf8').digest('hex')}`);
    assert.notEqual(sts.split('\n')[1], v3StringToSign(SHA256, cr).split('\n')[1]);
  });

  it('differs from SHA256 and is deterministic', () => {
    const sm3 = sign(SM3, 'testsecret', cr);
    assert.match(sm3, /^[0-9a-f]{64}$/);
    assert.notEqual(sm3, sign(SHA256, 'testsecret', cr));
    assert.notEqual(sm3, 'f82a895c1cec7e73ac1715a4378b249c9a2dd644f185a29f0806f44b79417a56');
    assert.equal(sign(SM3, 'testsecret', cr), sm3);
    assert.notEqual(sign(SM3, 'othersecret', cr), sm3);
  });

  it('equals an independent computation with node:crypto', () => {
    const sts = v3StringToSign(SM3, cr);
    const expected = createHmac('sm3', 'testsecret').update(sts, 'utf8').digest('hex');
    assert.equal(v3Sign(SM3, 'testsecret', sts), expected);
  });
});

describe('v3Sign (SHA256)', () => {
  it('uses the bare secret as key (no "&") and outputs lower-case hex', () => {
    const sts = 'ACS3-HMAC-SHA256\n6a7b8d4605c3bfa93fc1d51be3b35bf3371780e5ff3f9a5e11121e2f91d3e6e8';
    const expected = createHmac('sha256', 'testsecret').update(sts, 'utf8').digest('hex');
    assert.equal(v3Sign(SHA256, 'testsecret', sts), expected);
    assert.notEqual(v3Sign(SHA256, 'testsecret&', sts), expected);
  });
});

describe('parseV3Authorization', () => {
  const sig = '06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0';

  it('parses the header the clients send', () => {
    const parsed = parseV3Authorization(
      `ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=${BASE_SIGNED},Signature=${sig}`,
    );
    assert.deepEqual(parsed, {
      algorithm: 'ACS3-HMAC-SHA256',
      accessKeyId: 'YourAccessKeyId',
      signedHeaders: BASE_SIGNED.split(';'),
      signature: sig,
    });
  });

  it('parses ACS3-HMAC-SM3', () => {
    const parsed = parseV3Authorization(
      `ACS3-HMAC-SM3 Credential=testid,SignedHeaders=host,Signature=${sig}`,
    );
    assert.ok(!('error' in parsed));
    assert.equal(parsed.algorithm, 'ACS3-HMAC-SM3');
  });

  it('tolerates spaces after commas and around the algorithm', () => {
    const parsed = parseV3Authorization(
      `  ACS3-HMAC-SHA256   Credential=testid, SignedHeaders=host;x-acs-date,  Signature=${sig} `,
    );
    assert.deepEqual(parsed, {
      algorithm: 'ACS3-HMAC-SHA256',
      accessKeyId: 'testid',
      signedHeaders: ['host', 'x-acs-date'],
      signature: sig,
    });
  });

  it('lower-cases the signed header names', () => {
    const parsed = parseV3Authorization(
      `ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=Host;X-Acs-Action;CONTENT-TYPE,Signature=${sig}`,
    );
    assert.ok(!('error' in parsed));
    assert.deepEqual(parsed.signedHeaders, ['host', 'x-acs-action', 'content-type']);
  });

  const malformed: Array<[string, string]> = [
    ['an empty header', ''],
    ['only spaces', '   '],
    ['the algorithm alone', 'ACS3-HMAC-SHA256'],
    ['an unsupported algorithm', `ACS4-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature=${sig}`],
    ['the V1 algorithm name', `HMAC-SHA1 Credential=testid,SignedHeaders=host,Signature=${sig}`],
    ['a lower-case algorithm', `acs3-hmac-sha256 Credential=testid,SignedHeaders=host,Signature=${sig}`],
    ['no Credential', `ACS3-HMAC-SHA256 SignedHeaders=host,Signature=${sig}`],
    ['an empty Credential', `ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=${sig}`],
    ['no SignedHeaders', `ACS3-HMAC-SHA256 Credential=testid,Signature=${sig}`],
    ['no Signature', 'ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host'],
    ['an empty Signature', 'ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature='],
    ['fields without "="', 'ACS3-HMAC-SHA256 Credential testid, SignedHeaders host, Signature abc'],
  ];
  for (const [label, header] of malformed) {
    it(`returns {error} for ${label}`, () => {
      const parsed = parseV3Authorization(header);
      assert.ok('error' in parsed, `expected an error for ${JSON.stringify(header)}`);
      assert.equal(typeof parsed.error, 'string');
      assert.ok(parsed.error.length > 0);
    });
  }

  it('names the missing field in the error', () => {
    const parsed = parseV3Authorization('ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host');
    assert.ok('error' in parsed);
    assert.match(parsed.error, /Signature/);
  });
});
