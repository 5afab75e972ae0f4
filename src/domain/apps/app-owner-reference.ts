import { apiVersionOf, kinds } from '../../store/kinds.ts';
import type { OwnerReference, StoredObject } from '../../store/objects.ts';

/**
 * The owner reference of what an app controls (its processes, its VCAP_SERVICES Secret), as Korifi
 * writes it: deleted with the app, and the app's deletion waits for it.
 */
export const appControllerReference = (app: StoredObject<'CFApp'>): OwnerReference => ({
  apiVersion: apiVersionOf(kinds.CFApp),
  kind: 'CFApp',
  name: app.metadata.name,
  uid: app.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});
