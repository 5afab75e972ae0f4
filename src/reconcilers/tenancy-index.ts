import type { StoredObject } from '../store/objects.ts';

/**
 * Which orgs (in our root namespace) and spaces exist, as the informers last saw them: enough to
 * turn a change in some namespace into the orgs and spaces that must be reconciled for it.
 */
export class TenancyIndex {
  readonly #orgs = new Set<string>();
  /** Space name → the namespaces (orgs) holding a space of that name (one, unless someone forged a duplicate). */
  readonly #spaceNamespaces = new Map<string, Set<string>>();

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
    const namespaces = this.#spaceNamespaces.get(space.metadata.name) ?? new Set<string>();
    namespaces.add(space.metadata.namespace ?? '');
    this.#spaceNamespaces.set(space.metadata.name, namespaces);
  }

  removeSpace(space: StoredObject<'CFSpace'>): void {
    const namespaces = this.#spaceNamespaces.get(space.metadata.name);
    namespaces?.delete(space.metadata.namespace ?? '');
    if (namespaces?.size === 0) this.#spaceNamespaces.delete(space.metadata.name);
  }

  /** The namespaces of the spaces with this name that belong to our orgs. */
  spaceNamespaces(name: string): string[] {
    return [...(this.#spaceNamespaces.get(name) ?? [])].filter((namespace) => this.#orgs.has(namespace));
  }

  /** Spaces of our orgs, as [namespace, name]; only those in `orgNamespace` when given. */
  spaces(orgNamespace?: string): [string, string][] {
    const spaces: [string, string][] = [];
    for (const [name, namespaces] of this.#spaceNamespaces) {
      for (const namespace of namespaces) {
        if (this.#orgs.has(namespace) && (orgNamespace === undefined || namespace === orgNamespace)) spaces.push([namespace, name]);
      }
    }
    return spaces;
  }
}
