import type { Logger } from '../logger.ts';
import { isStoreError } from '../store/errors.ts';
import type { LeaseSpec, StoredObject } from '../store/objects.ts';
import type { Ref, StoreSession } from '../store/port.ts';

export type LeaderElectionOptions = {
  /** Where the Lease lives and what it is called; all replicas of one platform must agree. */
  lease: { namespace: string; name: string };
  /** This replica, as written into the Lease's holderIdentity. */
  identity: string;
  leaseDurationMs: number;
  /** How often the leader renews and followers try again; well under the lease duration. */
  retryIntervalMs: number;
  logger: Logger;
};

/** What runs only on the leader: started when it gains the lease, stopped when it loses or gives it up. */
export type LeaderWork = { start(): Promise<{ stop(): Promise<void> }> };

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (date: Date) => date.toISOString().replace('Z', '000Z');

/**
 * Leader election over a coordination.k8s.io Lease, as client-go does it, so that of several server
 * replicas only one runs the reconcilers. A lease counts as expired when it has not changed for its
 * duration as seen by this replica's clock (never by comparing clocks across machines). The leader
 * renews every retry interval; if it cannot renew for most of the lease duration it stops its work
 * before anyone else may take over.
 */
export class LeaderElection {
  readonly #session: StoreSession;
  readonly #options: LeaderElectionOptions;
  readonly #work: LeaderWork;
  #observed: { resourceVersion: string; atMs: number } | undefined;
  #running: { stop(): Promise<void> } | undefined;
  #lastRenewMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #tick: Promise<void> = Promise.resolve();

  constructor(session: StoreSession, options: LeaderElectionOptions, work: LeaderWork) {
    this.#session = session;
    this.#options = options;
    this.#work = work;
  }

  get isLeader(): boolean {
    return this.#running !== undefined;
  }

  /** Makes the first attempt (so a free lease is taken before this resolves), then keeps trying. */
  async start(): Promise<void> {
    await this.#attempt();
    this.#schedule();
  }

  /** Stops trying; a leader stops its work and releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
    if (this.#running === undefined) return;
    await this.#stepDown('stopping');
    await this.#release().catch((error: unknown) => this.#options.logger.warn({ err: error }, 'could not release the reconciler lease'));
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#attempt().finally(() => this.#schedule());
    }, this.#options.retryIntervalMs);
  }

  async #attempt(): Promise<void> {
    try {
      if (await this.#acquireOrRenew()) {
        this.#lastRenewMs = Date.now();
        if (this.#running === undefined) await this.#stepUp();
        return;
      }
      if (this.#running !== undefined) await this.#stepDown('another replica holds the lease');
    } catch (error) {
      this.#options.logger.warn({ err: error, lease: this.#options.lease.name }, 'reconciler lease could not be read or written');
      // Stop in time: once the lease may have expired for others, two leaders must never both work.
      const deadline = (this.#options.leaseDurationMs * 2) / 3;
      if (this.#running !== undefined && Date.now() - this.#lastRenewMs > deadline) await this.#stepDown('could not renew the lease');
    }
  }

  async #stepUp(): Promise<void> {
    this.#options.logger.info({ identity: this.#options.identity }, 'leading: starting the reconcilers');
    this.#running = await this.#work.start();
  }

  async #stepDown(reason: string): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    this.#options.logger.info({ identity: this.#options.identity, reason }, 'no longer leading: stopping the reconcilers');
    await running?.stop();
  }

  /** Takes or keeps the lease; false when another replica holds it and it has not expired. */
  async #acquireOrRenew(): Promise<boolean> {
    const { namespace, name } = this.#options.lease;
    let current: StoredObject<'Lease'>;
    try {
      current = await this.#session.get(this.#ref());
    } catch (error) {
      if (!isStoreError(error, 'NotFound')) throw error;
      return this.#write(() => this.#session.create({ kind: 'Lease', metadata: { name, namespace }, spec: this.#spec() }));
    }
    this.#observe(current);
    const holder = current.spec?.holderIdentity ?? '';
    if (holder !== this.#options.identity && holder !== '' && !this.#expired()) return false;
    return this.#write(() => this.#session.update({ ...current, spec: this.#nextSpec(current.spec ?? {}) }));
  }

  /** Renewing keeps the acquire time; taking over counts a transition. */
  #nextSpec(previous: LeaseSpec): LeaseSpec {
    const spec = this.#spec();
    if (previous.holderIdentity !== this.#options.identity) return { ...spec, leaseTransitions: (previous.leaseTransitions ?? 0) + 1 };
    return {
      ...spec,
      ...(previous.acquireTime === undefined ? {} : { acquireTime: previous.acquireTime }),
      leaseTransitions: previous.leaseTransitions ?? 0,
    };
  }

  /** A lost race (someone else wrote first) means not leading this round. */
  async #write(write: () => Promise<StoredObject<'Lease'>>): Promise<boolean> {
    try {
      this.#observe(await write());
      return true;
    } catch (error) {
      if (isStoreError(error, 'Conflict') || isStoreError(error, 'AlreadyExists')) return false;
      throw error;
    }
  }

  async #release(): Promise<void> {
    const current = await this.#session.get(this.#ref());
    if (current.spec?.holderIdentity !== this.#options.identity) return;
    await this.#session.update({ ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
  }

  #observe(lease: StoredObject<'Lease'>): void {
    const resourceVersion = lease.metadata.resourceVersion ?? '';
    if (this.#observed?.resourceVersion !== resourceVersion) this.#observed = { resourceVersion, atMs: Date.now() };
  }

  #expired(): boolean {
    return this.#observed === undefined || Date.now() - this.#observed.atMs > this.#options.leaseDurationMs;
  }

  #spec(): LeaseSpec {
    const now = microTime(new Date());
    return {
      holderIdentity: this.#options.identity,
      leaseDurationSeconds: Math.ceil(this.#options.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
    };
  }

  #ref(): Ref<'Lease'> {
    return { kind: 'Lease', namespace: this.#options.lease.namespace, name: this.#options.lease.name };
  }
}
