import { randomBytes, randomInt } from 'node:crypto';

const MIN_ID = 1_000_000_000_000_000n; // 16 digits, like the real service's ids
const MAX_ID = 9_007_199_254_740_991n; // 2^53 - 1: ids must survive JSON.parse in every client

/** A random, unguessable numeric id below 2^53 (decisions.md 1, design.md IDs). */
export function randomId(): number {
  const span = MAX_ID - MIN_ID;
  // 64 random bits reduced modulo a 53-bit span: the bias is below 2^-11 and irrelevant for ids.
  return Number(MIN_ID + (randomBytes(8).readBigUInt64BE() % span));
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

/** RequestIds are upper-case UUIDs, as the real gateway sends them. */
export function newRequestId(): string {
  return crypto.randomUUID().toUpperCase();
}
