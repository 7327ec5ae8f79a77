import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, isFormBody } from '../../src/rpc/params.js';
import { DecodeError } from '../../src/rpc/encoding.js';

const FORM = 'application/x-www-form-urlencoded';

function decodeErrorFor(parameter: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`);
    assert.equal(err.parameter, parameter);
    return true;
  };
}

describe('decodeRequest', () => {
  it('decodes the query alone', () => {
    const r = decodeRequest('/?ProductCode=symantec-free-1-free&Name=my%20cert&Empty=', undefined, undefined);
    assert.deepEqual(r.query, [
      ['ProductCode', 'symantec-free-1-free'],
      ['Name', 'my cert'],
      ['Empty', ''],
    ]);
    assert.deepEqual(
      [...r.params],
      [
        ['ProductCode', 'symantec-free-1-free'],
        ['Name', 'my cert'],
        ['Empty', ''],
      ],
    );
  });

  it('handles a URL without a query', () => {
    const r = decodeRequest('/', undefined, Buffer.alloc(0));
    assert.deepEqual(r.query, []);
    assert.equal(r.params.size, 0);
  });

  it('handles an empty query after "?"', () => {
    const r = decodeRequest('/?', undefined, undefined);
    assert.deepEqual(r.query, []);
    assert.equal(r.params.size, 0);
  });

  it('merges a form body (content-type without charset) into params but not into query', () => {
    const r = decodeRequest('/?Name=my%20cert', FORM, Buffer.from('Cert=line1%0Aline2%2B%2F%3D&Key=k%20v'));
    assert.deepEqual(r.query, [['Name', 'my cert']]);
    assert.equal(r.params.size, 3);
    assert.equal(r.params.get('Name'), 'my cert');
    assert.equal(r.params.get('Cert'), 'line1\nline2+/=');
    assert.equal(r.params.get('Key'), 'k v');
  });

  it('merges a form body when the content-type has a charset', () => {
    const r = decodeRequest('/?A=1', `${FORM}; charset=UTF-8`, Buffer.from('B=%E4%B8%AD'));
    assert.deepEqual(r.query, [['A', '1']]);
    assert.equal(r.params.get('A'), '1');
    assert.equal(r.params.get('B'), '中');
  });

  it('matches the form content-type case-insensitively', () => {
    const r = decodeRequest('/', 'Application/X-WWW-Form-Urlencoded;charset=utf-8', Buffer.from('B=2'));
    assert.equal(r.params.get('B'), '2');
  });

  it('reads a pop-style POST with everything in the body and an empty query', () => {
    const r = decodeRequest(
      '/',
      FORM,
      Buffer.from('AccessKeyId=testid&Action=DescribePackageState&Format=JSON'),
    );
    assert.deepEqual(r.query, []);
    assert.equal(r.params.get('Action'), 'DescribePackageState');
    assert.equal(r.params.get('Format'), 'JSON');
  });

  it('ignores a body with another content type', () => {
    const r = decodeRequest('/?A=1', 'application/json; charset=utf-8', Buffer.from('B=2'));
    assert.deepEqual(r.query, [['A', '1']]);
    assert.deepEqual([...r.params], [['A', '1']]);
    assert.equal(r.params.has('B'), false);
  });

  it('ignores an octet-stream body, even if it is not UTF-8', () => {
    const r = decodeRequest('/?A=1', 'application/octet-stream', Buffer.from([0x42, 0x3d, 0xff]));
    assert.deepEqual([...r.params], [['A', '1']]);
  });

  it('ignores a body without a content type', () => {
    const r = decodeRequest('/?A=1', undefined, Buffer.from('B=2'));
    assert.deepEqual([...r.params], [['A', '1']]);
  });

  it('throws a DecodeError naming a parameter duplicated in the query', () => {
    assert.throws(() => decodeRequest('/?A=1&Dup=1&Dup=2', undefined, undefined), decodeErrorFor('Dup'));
  });

  it('throws even when the duplicated values are equal', () => {
    assert.throws(() => decodeRequest('/?Dup=1&Dup=1', undefined, undefined), decodeErrorFor('Dup'));
  });

  it('throws a DecodeError naming a parameter given in both query and body', () => {
    assert.throws(() => decodeRequest('/?Dup=1&A=1', FORM, Buffer.from('B=2&Dup=3')), decodeErrorFor('Dup'));
  });

  it('throws a DecodeError naming a parameter duplicated within the body', () => {
    assert.throws(() => decodeRequest('/', FORM, Buffer.from('Dup=1&Dup=2')), decodeErrorFor('Dup'));
  });

  it('does not complain about a duplicate between the query and an ignored body', () => {
    const r = decodeRequest('/?Dup=1', 'text/plain', Buffer.from('Dup=2'));
    assert.equal(r.params.get('Dup'), '1');
  });

  it('throws a DecodeError when the form body is not valid UTF-8', () => {
    assert.throws(
      () => decodeRequest('/?A=1', FORM, Buffer.from([0x42, 0x3d, 0xc3, 0x28])),
      decodeErrorFor('(request body)'),
    );
    assert.throws(
      () => decodeRequest('/', FORM, Buffer.from([0x42, 0x3d, 0xff])),
      decodeErrorFor('(request body)'),
    );
  });

  it('throws a DecodeError naming the parameter whose percent-escape is not UTF-8', () => {
    assert.throws(() => decodeRequest('/', FORM, Buffer.from('B=%FF')), decodeErrorFor('B'));
    assert.throws(() => decodeRequest('/?Q=%E4%B8', undefined, undefined), decodeErrorFor('Q'));
  });
});

describe('isFormBody', () => {
  it('recognises the form content type with or without parameters', () => {
    assert.equal(isFormBody(FORM), true);
    assert.equal(isFormBody(`${FORM}; charset=utf-8`), true);
    assert.equal(isFormBody(` ${FORM.toUpperCase()} `), true);
  });

  it('rejects other or missing content types', () => {
    assert.equal(isFormBody(undefined), false);
    assert.equal(isFormBody(''), false);
    assert.equal(isFormBody('application/json'), false);
    assert.equal(isFormBody('multipart/form-data; boundary=x'), false);
  });
});
