import { isStoreError } from '../../../src/store/errors.ts';
import type { KindName } from '../../../src/store/kinds.ts';
import type { StoredObject } from '../../../src/store/objects.ts';
import type { Ref } from '../../../src/store/port.ts';
import type { TestServer } from '../../support/test-server.ts';

/** Looks behind the API: the stored object (read as the server), or undefined when it does not exist. */
export async function findStored<K extends KindName>(server: TestServer, ref: Ref<K>): Promise<StoredObject<K> | undefined> {
  try {
    return await server.store.privileged().get(ref);
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** The CFSpace with this GUID, in whichever org namespace it lives. */
export async function findStoredSpace(server: TestServer, guid: string): Promise<StoredObject<'CFSpace'> | undefined> {
  return (await server.store.privileged().list('CFSpace', { name: guid })).items[0];
}

/** The RoleBindings of one namespace whose subjects include the user (by name). */
export async function bindingsOf(server: TestServer, namespace: string, userName: string): Promise<StoredObject<'RoleBinding'>[]> {
  const { items } = await server.store.privileged().list('RoleBinding', { namespace });
  return items.filter((binding) => (binding.subjects ?? []).some((subject) => subject.name === userName));
}

/** A GUID in the form CF uses: a UUID. */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A CF timestamp: RFC 3339, UTC, whole seconds. */
export const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
