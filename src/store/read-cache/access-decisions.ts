import type { AccessTarget } from '../port.ts';

type Decision = { allowed: boolean; expiresAt: number; refreshAt: number };

export type AccessDecisionOptions = {
  /** How long a decision is kept when no RBAC change drops it first (for authorizers other than RBAC). */
  ttlMs: number;
  /**
   * The apiserver's authorizer follows RBAC objects through a watch of its own, which may lag behind
   * ours: after a change, decisions are dropped again this much later, so an answer the authorizer
   * gave before it saw the change is not kept.
   */
  settleMs: number;
  /** At most this many decisions are kept; past it, all are dropped. */
  maxEntries: number;
};

/**
 * Users' answers to "may I list this kind here?", per credentials, kind, namespace and name. A
 * change to a Role or RoleBinding drops the decisions about its namespace; a change to a ClusterRole
 * or ClusterRoleBinding, or a new list of any RBAC kind, drops them all. A decision asked for before
 * a change and answered after it is returned to its callers but not kept.
 */
export class AccessDecisions {
  readonly #options: AccessDecisionOptions;
  /** By scope (the namespace, '' for cluster scope), then by key. */
  readonly #byScope = new Map<string, Map<string, Decision>>();
  readonly #asking = new Map<string, Promise<boolean>>();
  #count = 0;
  #epoch = 0;
  readonly #scopeEpochs = new Map<string, number>();
  readonly #settling = new Set<string | undefined>();
  #settleTimer: NodeJS.Timeout | undefined;

  constructor(options: AccessDecisionOptions) {
    this.#options = options;
  }

  /**
   * The kept decision, or `ask`'s (kept unless a change came while it was asked). A decision past
   * half its time is asked again in the background, so that busy callers rarely wait for one.
   */
  async decide(subject: string, target: AccessTarget, ask: () => Promise<boolean>): Promise<boolean> {
    const scope = target.namespace ?? '';
    const key = `${subject}\n${target.kind}\n${scope}\n${target.name ?? ''}`;
    const kept = this.#byScope.get(scope)?.get(key);
    const now = Date.now();
    if (kept !== undefined && kept.expiresAt > now) {
      if (kept.refreshAt <= now && !this.#asking.has(key)) this.#ask(scope, key, ask).catch(() => undefined);
      return kept.allowed;
    }
    return this.#asking.get(key) ?? this.#ask(scope, key, ask);
  }

  async #ask(scope: string, key: string, ask: () => Promise<boolean>): Promise<boolean> {
    const epoch = this.#epochOf(scope);
    const askedAt = Date.now();
    const answer = ask().then((allowed) => {
      if (this.#epochOf(scope) === epoch) {
        const { ttlMs } = this.#options;
        this.#keep(scope, key, { allowed, expiresAt: askedAt + ttlMs, refreshAt: askedAt + ttlMs / 2 });
      }
      return allowed;
    });
    this.#asking.set(key, answer);
    try {
      return await answer;
    } finally {
      this.#asking.delete(key);
    }
  }

  /** Drops the decisions about `namespace` (every decision when undefined), now and once more after the settle time. */
  changed(namespace: string | undefined): void {
    this.#drop(namespace);
    this.#settling.add(namespace);
    this.#settleTimer ??= setTimeout(() => {
      this.#settleTimer = undefined;
      const scopes = [...this.#settling];
      this.#settling.clear();
      for (const scope of scopes) this.#drop(scope);
    }, this.#options.settleMs).unref();
  }

  close(): void {
    clearTimeout(this.#settleTimer);
    this.#drop(undefined);
  }

  #drop(namespace: string | undefined): void {
    if (namespace === undefined) {
      this.#epoch++;
      this.#byScope.clear();
      this.#scopeEpochs.clear();
      this.#count = 0;
      return;
    }
    this.#scopeEpochs.set(namespace, (this.#scopeEpochs.get(namespace) ?? 0) + 1);
    this.#count -= this.#byScope.get(namespace)?.size ?? 0;
    this.#byScope.delete(namespace);
  }

  #keep(scope: string, key: string, decision: Decision): void {
    if (this.#count >= this.#options.maxEntries) this.#drop(undefined);
    let decisions = this.#byScope.get(scope);
    if (decisions === undefined) this.#byScope.set(scope, (decisions = new Map<string, Decision>()));
    if (!decisions.has(key)) this.#count++;
    decisions.set(key, decision);
  }

  #epochOf(scope: string): string {
    return `${this.#epoch}:${this.#scopeEpochs.get(scope) ?? 0}`;
  }
}
