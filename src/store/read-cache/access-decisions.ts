import type { AccessTarget } from '../port.ts';

type Decision = { allowed: boolean; expiresAt: number; refreshAt: number };

export type AccessDecisionOptions = {
  /** How long a decision is kept when no RBAC change drops it first (for authorizers other than RBAC). */
  ttlMs: number;
  /**
   * The apiserver's authorizer follows RBAC objects through a watch of its own, which may lag behind
   * ours: for this long after a change, decisions about its scope are asked every time and not kept,
   * so that an answer the authorizer gave before it saw the change does not outlive that lag.
   */
  settleMs: number;
  /** At most this many decisions are kept; past it, all are dropped. */
  maxEntries: number;
};

/**
 * Users' answers to "may I list this kind here?", per credentials, kind, namespace and name. A
 * change to a Role or RoleBinding drops the decisions about its namespace; a change to a ClusterRole
 * or ClusterRoleBinding, or a new list of any RBAC kind, drops them all; for the settle time after
 * a change, its scope's decisions are asked every time. A decision asked for before a change and
 * answered after it is returned to its callers but not kept.
 */
export class AccessDecisions {
  readonly #options: AccessDecisionOptions;
  /** By scope (the namespace, '' for cluster scope), then by key. */
  readonly #byScope = new Map<string, Map<string, Decision>>();
  readonly #asking = new Map<string, Promise<boolean>>();
  #count = 0;
  #epoch = 0;
  readonly #scopeEpochs = new Map<string, number>();
  /** When each scope last changed, and when everything did. */
  readonly #changedAt = new Map<string, number>();
  #allChangedAt = Number.NEGATIVE_INFINITY;

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
    const now = Date.now();
    if (this.#settling(scope, now)) return ask();
    const kept = this.#byScope.get(scope)?.get(key);
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
      if (this.#epochOf(scope) === epoch && !this.#settling(scope, Date.now())) {
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

  /** Drops the decisions about `namespace` (every decision when undefined); they are asked every time for the settle time. */
  changed(namespace: string | undefined): void {
    this.#drop(namespace);
    if (namespace === undefined) {
      this.#allChangedAt = Date.now();
      this.#changedAt.clear();
    } else {
      this.#changedAt.set(namespace, Date.now());
    }
  }

  close(): void {
    this.#drop(undefined);
  }

  #settling(scope: string, now: number): boolean {
    const changedAt = Math.max(this.#allChangedAt, this.#changedAt.get(scope) ?? Number.NEGATIVE_INFINITY);
    return now - changedAt < this.#options.settleMs;
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
