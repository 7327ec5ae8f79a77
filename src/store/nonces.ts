import type { Db } from './db.js';

export class NonceStore {
  constructor(private readonly db: Db) {}

  /**
   * Records a nonce for an AccessKey until `expiresAt`. Returns false when the same nonce is still
   * remembered (a replay). One statement, so two concurrent requests cannot both win.
   */
  async remember(accessKeyId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    const r = await this.db
      .insertInto('nonces')
      .values({ access_key_id: accessKeyId, nonce, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .columns(['access_key_id', 'nonce'])
          .doUpdateSet({ expires_at: expiresAt })
          .where('nonces.expires_at', '<=', now),
      )
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    const r = await this.db.deleteFrom('nonces').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
