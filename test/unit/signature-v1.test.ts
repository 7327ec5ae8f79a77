import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v1Sign, v1StringToSign } from '../../src/rpc/signature-v1.js';
import { DecodeError, decodePairs, percentEncode } from '../../src/rpc/encoding.js';
import { decodeRequest } from '../../src/rpc/params.js';

// Worked examples from protocol.md section 2 ("V1 worked examples").

const NONCE = '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf';

function v1aParams(timestampName: string): Array<[string, string]> {
  return [
    ['AccessKeyId', 'testid'],
    ['Action', 'DescribeRegions'],
    ['Format', 'XML'],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureNonce', NONCE],
    ['SignatureVersion', '1.0'],
    [timestampName, '2016-02-23T12:46:24Z'],
    ['Version', '2014-05-26'],
  ];
}

/** V1-C parameters in the order the core client sends them (not sorted). */
function v1cParams(format: string): Array<[string, string]> {
  return [
    ['Action', 'DescribePackageState'],
    ['Format', format],
    ['Version', '2020-04-07'],
    ['Timestamp', '2024-01-02T03:04:05Z'],
    ['SignatureNonce', NONCE],
    ['ProductCode', 'symantec-free-1-free'],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'],
    ['AccessKeyId', 'testid'],
  ];
}

describe('v1StringToSign / v1Sign: worked examples', () => {
  it('V1-A (published doc example, old "TimeStamp" spelling)', () => {
    const sts = v1StringToSign('GET', v1aParams('TimeStamp'));
    assert.equal(
      sts,
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    assert.equal(v1Sign('testsecret', sts), 'CT9X0VtwR86fNWSnsc6v8YGOjuE=');
  });

  it('V1-A with the modern "Timestamp" spelling', () => {
    const sts = v1StringToSign('GET', v1aParams('Timestamp'));
    assert.ok(sts.includes('%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26'));
    assert.equal(v1Sign('testsecret', sts), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('V1-B (second published doc example)', () => {
    const params: Array<[string, string]> = [
      ['AccessKeyId', 'testid'],
      ['Action', 'DescribeDedicatedHosts'],
      ['Format', 'JSON'],
      ['RegionId', 'cn-beijing'],
      ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureNonce', 'edb2b34af0af9a6d14deaf7c1a5315eb'],
      ['SignatureVersion', '1.0'],
      ['Timestamp', '2023-03-13T08:34:30Z'],
      ['Version', '2014-05-26'],
    ];
    assert.equal(v1Sign('testsecret', v1StringToSign('GET', params)), '9NaGiOspFP5UPcwX8Iwt2YJXXuk=');
  });

  it('V1-C core client, POST: StringToSign and signature', () => {
    const sts = v1StringToSign('POST', v1cParams('json'));
    assert.equal(
      sts,
      'POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribePackageState%26Format%3Djson%26ProductCode%3Dsymantec-free-1-free%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2020-04-07',
    );
    assert.equal(v1Sign('testsecret', sts), 'Q1go//CdXB17PLRMOuOOke0gHqs=');
  });

  it('V1-C core client, same parameters signed as GET', () => {
    const sts = v1StringToSign('GET', v1cParams('json'));
    assert.ok(sts.startsWith('GET&%2F&AccessKeyId%3Dtestid%26'));
    assert.equal(v1Sign('testsecret', sts), 'qlvGsaU72oW2czG5D2H/vIgc/n4=');
  });

  it('V1-C pop client (Format=JSON), GET', () => {
    assert.equal(
      v1Sign('testsecret', v1StringToSign('GET', v1cParams('JSON'))),
      '7vcJSX5wgrf4+OwslrIahfwUZzg=',
    );
  });

  it('V1-C pop client (Format=JSON), POST with everything (Signature included) in the form body', () => {
    const signature = 'JJyFsIEMwgzg1O9g0E4WHR5cENE=';
    const pairs = [...v1cParams('JSON'), ['Signature', signature] as [string, string]];
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const body = pairs.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join('&');
    const { params } = decodeRequest('/', 'application/x-www-form-urlencoded', Buffer.from(body));
    assert.equal(params.get('Signature'), signature);
    assert.equal(v1Sign('testsecret', v1StringToSign('POST', params)), signature);
  });

  it('the method is upper-cased', () => {
    assert.equal(v1StringToSign('post', v1cParams('json')), v1StringToSign('POST', v1cParams('json')));
    assert.ok(v1StringToSign('get', v1cParams('json')).startsWith('GET&%2F&'));
  });

  it('the Signature parameter is left out of the StringToSign', () => {
    const withSig = [...v1cParams('json'), ['Signature', 'Q1go//CdXB17PLRMOuOOke0gHqs='] as [string, string]];
    const sts = v1StringToSign('POST', withSig);
    assert.equal(sts, v1StringToSign('POST', v1cParams('json')));
    assert.ok(!sts.includes('Signature%3D'));
  });

  it('the parameter order does not matter', () => {
    const reversed = [...v1cParams('json')].reverse();
    assert.equal(v1StringToSign('POST', reversed), v1StringToSign('POST', v1cParams('json')));
  });

  it('the key is the secret followed by "&"', () => {
    const sts = v1StringToSign('POST', v1cParams('json'));
    assert.notEqual(v1Sign('testsecret&', sts), 'Q1go//CdXB17PLRMOuOOke0gHqs=');
    assert.notEqual(v1Sign('otherSecret', sts), 'Q1go//CdXB17PLRMOuOOke0gHqs=');
  });

  it('V1-D special characters: wire query decoded, StringToSign and signature', () => {
    const wire =
      'Action=CreateCertificateRequest&Format=json&Version=2020-04-07&Timestamp=2024-01-02T03%3A04%3A05Z&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&Domain=*.example.com&Email=a.b%2Bc~d%40example.com&Phone=%2B86%20138*0000&ProductCode=digicert-free-1-free&Tags.1.Key=env&Tags.1.Value=dev%2Ftest%20(1)!%27&Tags.2.Key=k2&Tags.2.Value=%E4%B8%AD%E6%96%87&Username=Zhang%20San&ValidateType=DNS&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=testid&Signature=WGIqGYHNWmZU9fiB0ywtQaFAzMY%3D';
    const pairs = decodePairs(wire);
    const params = new Map(pairs);
    assert.equal(params.get('Domain'), '*.example.com');
    assert.equal(params.get('Email'), 'a.b+c~d@example.com');
    assert.equal(params.get('Phone'), '+86 138*0000');
    assert.equal(params.get('Tags.1.Value'), "dev/test (1)!'");
    assert.equal(params.get('Tags.2.Value'), '中文');
    const sts = v1StringToSign('POST', pairs);
    assert.equal(
      sts,
      'POST&%2F&AccessKeyId%3Dtestid%26Action%3DCreateCertificateRequest%26Domain%3D%252A.example.com%26Email%3Da.b%252Bc~d%2540example.com%26Format%3Djson%26Phone%3D%252B86%2520138%252A0000%26ProductCode%3Ddigicert-free-1-free%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Tags.1.Key%3Denv%26Tags.1.Value%3Ddev%252Ftest%2520%25281%2529%2521%2527%26Tags.2.Key%3Dk2%26Tags.2.Value%3D%25E4%25B8%25AD%25E6%2596%2587%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Username%3DZhang%2520San%26ValidateType%3DDNS%26Version%3D2020-04-07',
    );
    const signature = v1Sign('testsecret', sts);
    assert.equal(signature, 'WGIqGYHNWmZU9fiB0ywtQaFAzMY=');
    assert.equal(signature, params.get('Signature'));
  });

  it('V1-E query + form body: the signed set is query ∪ body', () => {
    const queryPairs: Array<[string, string]> = [
      ['Action', 'UploadUserCertificate'],
      ['Format', 'json'],
      ['Version', '2020-04-07'],
      ['Timestamp', '2024-01-02T03:04:05Z'],
      ['SignatureNonce', NONCE],
      ['Name', 'my cert'],
      ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureVersion', '1.0'],
      ['AccessKeyId', 'testid'],
    ];
    const query = queryPairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&');
    const body = Buffer.from('Cert=line1%0Aline2%2B%2F%3D&Key=k%20v');
    const { params } = decodeRequest(`/?${query}`, 'application/x-www-form-urlencoded', body);
    assert.equal(params.get('Cert'), 'line1\nline2+/=');
    assert.equal(params.get('Key'), 'k v');
    const sts = v1StringToSign('POST', params);
    assert.equal(
      sts,
      'POST&%2F&AccessKeyId%3Dtestid%26Action%3DUploadUserCertificate%26Cert%3Dline1%250Aline2%252B%252F%253D%26Format%3Djson%26Key%3Dk%2520v%26Name%3Dmy%2520cert%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2020-04-07',
    );
    assert.equal(v1Sign('testsecret', sts), 'G3nu4sPjovETAHEcXSNoMg/2DgY=');
  });

  it('empty values are kept in the StringToSign', () => {
    const sts = v1StringToSign('POST', [
      ['B', ''],
      ['A', 'x'],
    ]);
    assert.equal(sts, 'POST&%2F&A%3Dx%26B%3D');
  });
});

describe('percentEncode', () => {
  const cases: Array<[string, string, string]> = [
    ['space', ' ', '%20'],
    ['asterisk', '*', '%2A'],
    ['tilde', '~', '~'],
    ["!'()", "!'()", '%21%27%28%29'],
    ['plus', '+', '%2B'],
    ['slash', '/', '%2F'],
    ['equals', '=', '%3D'],
    ['newline', '\n', '%0A'],
    ['percent', '%', '%25'],
    ['ampersand and colon', '&:', '%26%3A'],
    ['Chinese text', '中文', '%E4%B8%AD%E6%96%87'],
    ['emoji (astral plane)', '😀', '%F0%9F%98%80'],
    ['unreserved set', 'AZaz09-_.~', 'AZaz09-_.~'],
    ['empty string', '', ''],
    ['mixed', 'a b*c~d', 'a%20b%2Ac~d'],
  ];
  for (const [label, input, expected] of cases) {
    it(`encodes ${label}`, () => {
      assert.equal(percentEncode(input), expected);
    });
  }

  it('uses only upper-case hex digits', () => {
    const encoded = percentEncode('\u00ff\u00e9*(),;[]{}');
    assert.doesNotMatch(encoded, /%[0-9A-F]?[a-f]/);
    assert.equal(encoded, '%C3%BF%C3%A9%2A%28%29%2C%3B%5B%5D%7B%7D');
  });

  it('round-trips through decodePairs', () => {
    const value = "x y+z/=&*~!'()\n中😀";
    assert.deepEqual(decodePairs(`k=${percentEncode(value)}`), [['k', value]]);
  });
});

describe('decodePairs', () => {
  it('decodes ordered pairs', () => {
    assert.deepEqual(decodePairs('b=2&a=1&c=x%20y'), [
      ['b', '2'],
      ['a', '1'],
      ['c', 'x y'],
    ]);
  });

  it('returns no pairs for the empty string', () => {
    assert.deepEqual(decodePairs(''), []);
  });

  it('reads "+" as a space and "%2B" as a plus', () => {
    assert.deepEqual(decodePairs('a=b+c&d=e%2Bf&g+h=1'), [
      ['a', 'b c'],
      ['d', 'e+f'],
      ['g h', '1'],
    ]);
  });

  it('keeps an empty value', () => {
    assert.deepEqual(decodePairs('a=&b=1'), [
      ['a', ''],
      ['b', '1'],
    ]);
  });

  it('gives a name without "=" the empty value', () => {
    assert.deepEqual(decodePairs('flag&b=1'), [
      ['flag', ''],
      ['b', '1'],
    ]);
  });

  it('splits only on the first "="', () => {
    assert.deepEqual(decodePairs('a=b=c'), [['a', 'b=c']]);
  });

  it('skips empty pieces', () => {
    assert.deepEqual(decodePairs('&a=1&&b=2&'), [
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('keeps duplicates (rejecting them is the caller’s job)', () => {
    assert.deepEqual(decodePairs('a=1&a=2'), [
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('decodes UTF-8 and leaves raw reserved characters alone', () => {
    assert.deepEqual(decodePairs('Z=%E4%B8%AD&D=*.example.com&T=(1)!~'), [
      ['Z', '中'],
      ['D', '*.example.com'],
      ['T', '(1)!~'],
    ]);
  });

  it('throws a DecodeError naming the parameter on a malformed escape in a value', () => {
    assert.throws(
      () => decodePairs('ok=1&Bad=%zz'),
      (err: unknown) => {
        assert.ok(err instanceof DecodeError);
        assert.equal(err.parameter, 'Bad');
        return true;
      },
    );
  });

  it('throws a DecodeError on a truncated escape', () => {
    assert.throws(
      () => decodePairs('Name=abc%4'),
      (err: unknown) => err instanceof DecodeError && err.parameter === 'Name',
    );
  });

  it('throws a DecodeError on an escape that is not valid UTF-8', () => {
    assert.throws(
      () => decodePairs('Name=%E4%B8'),
      (err: unknown) => err instanceof DecodeError && err.parameter === 'Name',
    );
    assert.throws(
      () => decodePairs('Name=%FF'),
      (err: unknown) => err instanceof DecodeError && err.parameter === 'Name',
    );
  });

  it('throws a DecodeError on a malformed escape in a name', () => {
    assert.throws(
      () => decodePairs('N%zz=1'),
      (err: unknown) => err instanceof DecodeError && err.parameter === 'N%zz',
    );
  });

  it('throws a DecodeError on an empty name', () => {
    assert.throws(
      () => decodePairs('=1'),
      (err: unknown) => err instanceof DecodeError && err.parameter === '(empty name)',
    );
  });
});
