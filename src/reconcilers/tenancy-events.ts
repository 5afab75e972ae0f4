import type { StoredObject } from '../store/objects.ts';
import type { WatchEvent } from '../store/port.ts';
import { keyOf } from './object-keys.ts';
import type { TenancyIndex } from './tenancy-index.ts';

/**
 * Turns what the informers see into work-queue keys: an org or space change reconciles that object;
 * a namespace or RoleBinding change reconciles the org or space owning that namespace and the ones
 * below it (their copies of propagated bindings come from there).
 */
export class TenancyEvents {
  readonly #index: TenancyIndex;
  readonly #rootNamespace: string;
  readonly #enqueue: (key: string) => void;

  constructor(index: TenancyIndex, rootNamespace: string, enqueue: (key: string) => void) {
    this.#index = index;
    this.#rootNamespace = rootNamespace;
    this.#enqueue = enqueue;
  }

  orgsListed(orgs: StoredObject<'CFOrg'>[]): void {
    this.#index.replaceOrgs(orgs);
    this.everything();
  }

  orgChanged({ type, object }: WatchEvent<'CFOrg'>): void {
    const name = object.metadata.name;
    if (type === 'DELETED') {
      this.#index.removeOrg(name);
      return;
    }
    this.#enqueueOrg(name);
    // Spaces seen before their org were not ours yet.
    if (this.#index.addOrg(name)) this.#enqueueSpaces(name);
  }

  spacesListed(spaces: StoredObject<'CFSpace'>[]): void {
    this.#index.replaceSpaces(spaces);
    this.everything();
  }

  spaceChanged({ type, object }: WatchEvent<'CFSpace'>): void {
    if (type === 'DELETED') this.#index.removeSpace(object);
    else this.#index.addSpace(object);
    // Every space of that name: a duplicate's appearance or departure changes whose namespace it is.
    for (const namespace of this.#index.spaceNamespaces(object.metadata.name))
      this.#enqueue(keyOf('CFSpace', namespace, object.metadata.name));
  }

  /** Something changed in (or of) this namespace: its owner and the objects whose parent it is. */
  namespaceTouched(namespace: string): void {
    if (namespace === this.#rootNamespace) {
      for (const org of this.#index.orgs()) this.#enqueueOrg(org);
      return;
    }
    if (this.#index.isOrg(namespace)) {
      this.#enqueueOrg(namespace);
      this.#enqueueSpaces(namespace);
      return;
    }
    for (const orgNamespace of this.#index.spaceNamespaces(namespace)) this.#enqueue(keyOf('CFSpace', orgNamespace, namespace));
  }

  /** Every org and space: the periodic resync, and after a list that may have missed changes. */
  everything(): void {
    for (const org of this.#index.orgs()) this.#enqueueOrg(org);
    this.#enqueueSpaces();
  }

  #enqueueOrg(name: string): void {
    this.#enqueue(keyOf('CFOrg', this.#rootNamespace, name));
  }

  #enqueueSpaces(orgNamespace?: string): void {
    for (const [namespace, name] of this.#index.spaces(orgNamespace)) this.#enqueue(keyOf('CFSpace', namespace, name));
  }
}
