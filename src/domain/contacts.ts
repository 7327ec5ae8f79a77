import { randomId } from '../ids.js';
import type { TxStores } from '../store/index.js';
import type { ContactRow } from '../store/contacts.js';
import type { Services } from './context.js';
import type { Contact } from './orders.js';

/**
 * Records the contact of an application (Username, Email, Phone) in the account's contact list, inside the
 * application's transaction: a new (name, e-mail, mobile) becomes a contact, a known one is marked as used
 * now. An application without any of the three records nothing.
 */
export async function recordContact(
  tx: Pick<TxStores, 'contacts'>,
  accountUid: number,
  contact: Contact,
  now: number,
): Promise<void> {
  const name = contact.username ?? '';
  const email = contact.email ?? '';
  const mobile = contact.phone ?? '';
  if (name === '' && email === '' && mobile === '') return;
  await tx.contacts.record({
    id: randomId(),
    account_uid: accountUid,
    name,
    email,
    mobile,
    created_at: now,
    last_used_at: now,
  });
}

/** The contact the account used last (api.md 4.4's "most recent contact"), as an application contact. */
export async function lastUsedContact(s: Services, accountUid: number): Promise<Contact> {
  const c = await s.store.contacts.latest(accountUid);
  if (!c) return {};
  const contact: Contact = {};
  if (c.name !== '') contact.username = c.name;
  if (c.email !== '') contact.email = c.email;
  if (c.mobile !== '') contact.phone = c.mobile;
  return contact;
}

export function contactEntry(c: ContactRow) {
  return {
    ContactId: Number(c.id),
    Name: c.name,
    Email: c.email,
    // Nothing is verified by this service: 0 = not verified.
    EmailStatus: 0,
    Mobile: c.mobile,
    MobileStatus: 0,
    Webhooks: '[]',
  };
}
