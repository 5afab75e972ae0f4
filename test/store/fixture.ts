import { randomUUID } from 'node:crypto';
import type { Store, StoreUser } from '../../src/store/port.ts';
import type { PolicyRule } from '../../src/store/objects.ts';

/**
 * What the store contract suite needs from a backend under test. Everything else (objects, RBAC
 * bindings) the suite creates through the port itself, so both backends run the same code.
 */
export type StoreFixture = {
  backend: 'embedded' | 'kubernetes';
  store: Store;
  /** A user the backend authenticates, with no permissions until the suite grants some. */
  newUser(groups?: string[]): Promise<StoreUser>;
};

/** A label every object of one test run carries, so lists see only this run's objects. */
export const runLabel = 'cfapi.test/run';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createNamespace(fixture: StoreFixture, labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName('ns');
  await fixture.store.privileged().create({ kind: 'Namespace', metadata: { name, labels } });
  return name;
}

/** Gives the user a Role with these rules in one namespace (Role + RoleBinding, written as the server). */
export async function grantInNamespace(fixture: StoreFixture, user: StoreUser, namespace: string, rules: PolicyRule[]): Promise<void> {
  const name = uniqueName('grant');
  const session = fixture.store.privileged();
  await session.create({ kind: 'Role', metadata: { name, namespace }, rules });
  await session.create({
    kind: 'RoleBinding',
    metadata: { name, namespace },
    subjects: [{ kind: 'User', name: user.name, apiGroup: 'rbac.authorization.k8s.io' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
  });
}

/**
 * Retries an assertion for a while. RBAC changes reach the apiserver's authorizer through an
 * informer, a few milliseconds after the write; Korifi retries 403s for the same reason.
 */
export async function eventually<T>(assertion: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
