import { contactEntry } from '../domain/contacts.js';
import { optionalString, pageBody, readPaging } from './params.js';
import type { Action } from './types.js';

/** api.md 5.13: the contacts recorded from applications, most recently used first. */
export const ListContact: Action = {
  name: 'ListContact',
  async handle(ctx, params) {
    const keyword = optionalString(params, 'Keyword', { maxLength: 256 });
    const paging = readPaging(params, 20);
    const r = await ctx.services.store.contacts.list({
      accountUid: ctx.accountUid,
      keyword,
      offset: paging.offset,
      limit: paging.showSize,
    });
    return {
      ...pageBody(paging, r.total, 'ContactList', r.rows.map(contactEntry)),
      ...(keyword !== undefined ? { Keyword: keyword } : {}),
    };
  },
};
