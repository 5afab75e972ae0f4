import type { StoredObject } from '../store/objects.ts';

/**
 * Which orgs (in our root namespace) and spaces exist, as the informers last saw them: enough to
 * turn a change in some namespace into the orgs and spaces that must be reconciled for it.
 */
export class TenancyIndex {
  readonly #orgs = new Set<string>();
  /** Space name → the namespace (org) it lives in. */
  readonly #spaceNamespaces = new Map<string, string>();

  replaceOrgs(orgs: StoredObject<'CFOrg'>[]): void {
    this.#orgs.clear();
    for (const org of orgs) this.#orgs.add(org.metadata.name);
  }

  /** Records the org; says whether it is new. */
  addOrg(name: string): boolean {
    const known = this.#orgs.has(name);
    this.#orgs.add(name);
    return !known;
  }

  removeOrg(name: string): void {
    this.#orgs.delete(name);
  }

  isOrg(name: string): boolean {
    return this.#orgs.has(name);
  }

  orgs(): string[] {
    return [...this.#orgs];
  }

  replaceSpaces(spaces: StoredObject<'CFSpace'>[]): void {
    this.#spaceNamespaces.clear();
    for (const space of spaces) this.addSpace(space);
  }

  addSpace(space: StoredObject<'CFSpace'>): void {
    this.#spaceNamespaces.set(space.metadata.name, space.metadata.namespace ?? '');
  }

  removeSpace(space: StoredObject<'CFSpace'>): void {
    this.#spaceNamespaces.delete(space.metadata.name);
  }

  /** The namespace of the space with this name, when it is a space of one of our orgs. */
  spaceNamespace(name: string): string | undefined {
    const namespace = this.#spaceNamespaces.get(name);
    return namespace !== undefined && this.#orgs.has(namespace) ? namespace : undefined;
  }

  /** Spaces of our orgs, as [namespace, name]; only those in `orgNamespace` when given. */
  spaces(orgNamespace?: string): [string, string][] {
    const spaces: [string, string][] = [];
    for (const [name, namespace] of this.#spaceNamespaces) {
      if (this.#orgs.has(namespace) && (orgNamespace === undefined || namespace === orgNamespace)) spaces.push([namespace, name]);
    }
    return spaces;
  }
}
