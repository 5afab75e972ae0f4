import type { StoreSession } from '../../store/port.ts';
import { deterministicGuid } from '../guids.ts';
import { createUnlessExists } from './idempotent-writes.ts';

/** The default domain's GUID is derived from its name, so every server process creates the same object. */
export function defaultDomainGuid(domainName: string): string {
  return deterministicGuid(domainName);
}

/**
 * Creates the CFDomain for `domainName` in the root namespace unless one with that name is there (made
 * by us under its derived GUID, or by anyone else under another). Answers the GUID it created, if any.
 */
export async function ensureDefaultDomain(session: StoreSession, rootNamespace: string, domainName: string): Promise<string | undefined> {
  const { items } = await session.list('CFDomain', { namespace: rootNamespace });
  if (items.some((domain) => domain.spec.name === domainName)) return undefined;
  const guid = defaultDomainGuid(domainName);
  const created = await createUnlessExists(() =>
    session.create({ kind: 'CFDomain', metadata: { name: guid, namespace: rootNamespace }, spec: { name: domainName } }),
  );
  return created ? guid : undefined;
}
