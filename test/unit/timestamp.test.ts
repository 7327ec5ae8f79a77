import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from '../../src/rpc/auth.js';
import { ApiError } from '../../src/rpc/errors.js';

function formatError(name: string, text: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.code, 'InvalidTimeStamp.Format');
    assert.equal(err.httpStatus, 400);
    assert.ok(err.message.includes(name), `the message should name ${name}: ${err.message}`);
    assert.ok(err.message.includes(`"${text}"`), `the message should quote the value: ${err.message}`);
    return true;
  };
}

describe('parseTimestamp: valid', () => {
  it('parses YYYY-MM-DDThh:mm:ssZ without millis', () => {
    assert.equal(parseTimestamp('Timestamp', '2024-01-02T03:04:05Z'), Date.UTC(2024, 0, 2, 3, 4, 5));
  });

  it('parses the published doc timestamps', () => {
    assert.equal(parseTimestamp('Timestamp', '2016-02-23T12:46:24Z'), Date.UTC(2016, 1, 23, 12, 46, 24));
    assert.equal(parseTimestamp('x-acs-date', '2023-10-26T10:22:32Z'), Date.UTC(2023, 9, 26, 10, 22, 32));
  });

  it('parses millis', () => {
    assert.equal(parseTimestamp('Timestamp', '2024-01-02T03:04:05.123Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 123));
    assert.equal(parseTimestamp('Timestamp', '2024-01-02T03:04:05.000Z'), Date.UTC(2024, 0, 2, 3, 4, 5));
  });

  it('parses one to nine fraction digits, truncating to milliseconds', () => {
    assert.equal(parseTimestamp('Timestamp', '2024-01-02T03:04:05.5Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 500));
    assert.equal(parseTimestamp('Timestamp', '2024-01-02T03:04:05.57Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 570));
    assert.equal(
      parseTimestamp('Timestamp', '2024-01-02T03:04:05.123456789Z'),
      Date.UTC(2024, 0, 2, 3, 4, 5, 123),
    );
    assert.equal(
      parseTimestamp('Timestamp', '2024-01-02T03:04:05.999999Z'),
      Date.UTC(2024, 0, 2, 3, 4, 5, 999),
    );
  });

  it('accepts the boundaries of each field', () => {
    assert.equal(parseTimestamp('Timestamp', '2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
    assert.equal(parseTimestamp('Timestamp', '2023-12-31T23:59:59Z'), Date.UTC(2023, 11, 31, 23, 59, 59));
    assert.equal(parseTimestamp('Timestamp', '2000-02-29T12:00:00Z'), Date.UTC(2000, 1, 29, 12));
    assert.equal(parseTimestamp('Timestamp', '1970-01-01T00:00:00Z'), 0);
  });
});

describe('parseTimestamp: rejected with InvalidTimeStamp.Format (400)', () => {
  const invalid: Array<[string, string]> = [
    ['February 30', '2024-02-30T00:00:00Z'],
    ['February 29 in a common year', '2023-02-29T00:00:00Z'],
    ['April 31', '2024-04-31T00:00:00Z'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['month 00', '2024-00-10T00:00:00Z'],
    ['day 00', '2024-01-00T00:00:00Z'],
    ['hour 24', '2024-01-01T24:00:00Z'],
    ['minute 60', '2024-01-01T00:60:00Z'],
    ['second 60', '2024-01-01T00:00:60Z'],
    ['a missing Z', '2024-01-02T03:04:05'],
    ['a +08:00 offset', '2024-01-02T03:04:05+08:00'],
    ['a +00:00 offset', '2024-01-02T03:04:05+00:00'],
    ['a Z followed by an offset', '2024-01-02T03:04:05Z+08:00'],
    ['a lower-case t', '2024-01-02t03:04:05Z'],
    ['a lower-case z', '2024-01-02T03:04:05z'],
    ['a space instead of T', '2024-01-02 03:04:05Z'],
    ['an empty string', ''],
    ['no seconds', '2024-01-02T03:04Z'],
    ['a date alone', '2024-01-02'],
    ['single-digit fields', '2024-1-2T3:4:5Z'],
    ['an empty fraction', '2024-01-02T03:04:05.Z'],
    ['ten fraction digits', '2024-01-02T03:04:05.1234567890Z'],
    ['a comma fraction', '2024-01-02T03:04:05,123Z'],
    ['surrounding spaces', ' 2024-01-02T03:04:05Z '],
    ['a trailing newline', '2024-01-02T03:04:05Z\n'],
    ['epoch milliseconds', '1704164645000'],
    ['a human date', 'Tue, 02 Jan 2024 03:04:05 GMT'],
  ];
  for (const [label, text] of invalid) {
    it(`rejects ${label}: ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseTimestamp('Timestamp', text), formatError('Timestamp', text));
    });
  }

  it('names the header in the message for x-acs-date', () => {
    assert.throws(
      () => parseTimestamp('x-acs-date', '2024-01-01T24:00:00Z'),
      formatError('x-acs-date', '2024-01-01T24:00:00Z'),
    );
  });
});
