import type { Identity } from '../auth/identity.ts';
import type { KindName } from '../store/kinds.ts';
import type { ObjectMeta, StoredObject } from '../store/objects.ts';
import type { ListOptions, ObjectList, StoreSession } from '../store/port.ts';
import { propagateRoleAnnotation } from './roles/role-binding-marks.ts';
import { bindingNames } from './subjects.ts';

/*
 * What a caller may see, decided here and nowhere else.
 *
 * The rule for every kind, now and in later issues (apps, routes, …): read with the caller's session,
 * so that RBAC decides, as in Korifi; or, where one privileged read serves many namespaces (spaces and
 * roles today, a watch cache later), read through `Visibility.list` or pass the result to
 * `Visibility.filter`. Never filter a privileged read in a domain function of its own: the
 * authorization matrix (test/http/authorization/) covers this module, not ad hoc filters.
 *
 * The rule itself, as in Korifi: the caller sees what lies in the org and space namespaces where a
 * RoleBinding names them (any role; admins reach every namespace by propagation). An org or space must
 * be seen through the namespace it owns too, so a space needs a role in both its org and itself. The
 * root namespace is no tenant: of what it holds only orgs pass (through their own namespace); read
 * anything else there (domains, the root bindings) with the caller's session.
 */

type Bindings = StoredObject<'RoleBinding'>[];
/** What the rule looks at: any stored object. */
type Placed = { kind: KindName; metadata: ObjectMeta };

/** The kinds that stand for a namespace of their own, named by their GUID. */
const tenantKinds: ReadonlySet<KindName> = new Set<KindName>(['CFOrg', 'CFSpace']);

/** The namespaces where one of these RoleBindings names the identity. */
export function namespacesNaming(bindings: readonly StoredObject<'RoleBinding'>[], identity: Identity): Set<string> {
  return new Set(bindings.filter((binding) => bindingNames(binding, identity)).map((binding) => binding.metadata.namespace ?? ''));
}

/**
 * The namespaces naming each caller, worked out from the RoleBindings of one store at one
 * resourceVersion and kept until a list of them comes back at another (a list at one version has one
 * content, on either backend), so that requests do not test every binding against their caller again.
 * One per store; only the newest version's answers are kept.
 */
export class NamespacesMemo {
  static readonly #maxCallers = 10_000;
  #version = '';
  readonly #byCaller = new Map<string, ReadonlySet<string>>();

  /** The namespaces where one of `bindings` names the identity. */
  namespacesNaming(bindings: ObjectList<'RoleBinding'>, identity: Identity): ReadonlySet<string> {
    if (bindings.resourceVersion === '') return namespacesNaming(bindings.items, identity);
    if (bindings.resourceVersion !== this.#version || this.#byCaller.size >= NamespacesMemo.#maxCallers) {
      this.#version = bindings.resourceVersion;
      this.#byCaller.clear();
    }
    const caller = `${identity.name}\u0000${identity.groups.join('\u0000')}`;
    let namespaces = this.#byCaller.get(caller);
    if (namespaces === undefined) {
      namespaces = namespacesNaming(bindings.items, identity);
      this.#byCaller.set(caller, namespaces);
    }
    return namespaces;
  }
}

/**
 * One caller's view, for one request. Every RoleBinding of the cluster is read once, with the server's
 * session, since callers cannot list bindings across namespaces themselves.
 */
export class Visibility {
  readonly #server: StoreSession;
  readonly #identity: Identity;
  readonly #rootNamespace: string;
  readonly #memo: NamespacesMemo;
  /** Shared with the views of other users made by `of`, so the bindings are read once per request. */
  #bindings: { read?: Promise<ObjectList<'RoleBinding'>> } = {};
  #namespaces: Promise<ReadonlySet<string>> | undefined;

  /** `memo` is the store's (see NamespacesMemo); a view of its own when not given. */
  constructor(server: StoreSession, identity: Identity, rootNamespace: string, memo: NamespacesMemo = new NamespacesMemo()) {
    this.#server = server;
    this.#identity = identity;
    this.#rootNamespace = rootNamespace;
    this.#memo = memo;
  }

  /** What another user sees (for rules about them, e.g. a space role needs an org role first). */
  of(identity: Identity): Visibility {
    const other = new Visibility(this.#server, identity, this.#rootNamespace, this.#memo);
    other.#bindings = this.#bindings;
    return other;
  }

  #bindingList(): Promise<ObjectList<'RoleBinding'>> {
    // Shared and frozen on the embedded store: this module and listRoles only read them.
    this.#bindings.read ??= this.#server.list('RoleBinding', { readOnly: true });
    return this.#bindings.read;
  }

  async #allBindings(): Promise<Bindings> {
    return (await this.#bindingList()).items;
  }

  /** Namespaces where some RoleBinding names the caller. */
  namespaces(): Promise<ReadonlySet<string>> {
    this.#namespaces ??= this.#bindingList().then((bindings) => this.#memo.namespacesNaming(bindings, this.#identity));
    return this.#namespaces;
  }

  /** Whether the caller holds a role in this namespace. */
  async canSee(namespace: string): Promise<boolean> {
    return (await this.namespaces()).has(namespace);
  }

  /** Whether the caller may see this object (the rule above). */
  async sees(object: Placed): Promise<boolean> {
    return this.#seesIn(object, await this.namespaces());
  }

  /** Those of these objects the caller may see, from a privileged read or one of their own. */
  async filter<T extends Placed>(objects: readonly T[]): Promise<T[]> {
    const visible = await this.namespaces();
    return objects.filter((object) => this.#seesIn(object, visible));
  }

  /**
   * A privileged list of a namespaced kind (every namespace unless options name one), cut down to what
   * the caller may see. Not read at all for a caller who sees nothing.
   */
  async list<K extends KindName>(kind: K, options: ListOptions = {}): Promise<StoredObject<K>[]> {
    if ((await this.namespaces()).size === 0) return [];
    return this.filter((await this.#server.list(kind, options)).items);
  }

  /** The RoleBindings the caller may see (CF roles are RoleBindings), from the read visibility is made of. */
  async roleBindings(): Promise<Bindings> {
    return this.filter(await this.#allBindings());
  }

  #seesIn(object: Placed, visible: ReadonlySet<string>): boolean {
    const home = object.metadata.namespace ?? '';
    // The root namespace is no tenant: only orgs there, seen through the namespace each owns.
    if (home === this.#rootNamespace) return object.kind === 'CFOrg' && visible.has(object.metadata.name);
    return visible.has(home) && (!tenantKinds.has(object.kind) || visible.has(object.metadata.name));
  }

  /**
   * Whether the caller sees a resource through its own namespace or a role propagated from above
   * (admins from the root namespace, org managers from the org's). Asking the ancestors directly still
   * works while the resource's namespace is being deleted and its copies of those roles are gone.
   */
  async canSeeFrom(own: string, ancestors: readonly string[]): Promise<boolean> {
    if (await this.canSee(own)) return true;
    const bindings = await this.#allBindings();
    return bindings.some(
      (binding) =>
        ancestors.includes(binding.metadata.namespace ?? '') &&
        binding.metadata.annotations?.[propagateRoleAnnotation] === 'true' &&
        bindingNames(binding, this.#identity),
    );
  }
}
