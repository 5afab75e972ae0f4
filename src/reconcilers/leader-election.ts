import type { Logger } from '../logger.ts';
import { deadlinePassed } from '../store/call-deadline.ts';
import { isStoreError } from '../store/errors.ts';
import type { LeaseSpec, StoredObject } from '../store/objects.ts';
import type { CallOptions, Ref, StoreSession } from '../store/port.ts';

export type LeaderElectionOptions = {
  /** Where the Lease lives and what it is called; all replicas of one platform must agree. */
  lease: { namespace: string; name: string };
  /** This replica, as written into the Lease's holderIdentity. */
  identity: string;
  leaseDurationMs: number;
  /**
   * How long after its last successful renew began the leader keeps working without another one
   * (client-go's RenewDeadline); shorter than the lease duration, so it stops before others may take over.
   */
  renewDeadlineMs: number;
  /** How often the leader renews and followers try again; shorter than the renew deadline. */
  retryIntervalMs: number;
  logger: Logger;
};

/** What runs only on the leader: started when it gains the lease, stopped when it loses or gives it up. */
export type LeaderWork = { start(): Promise<{ stop(): Promise<void> }> };

type RunningWork = { stop(): Promise<void> };

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (date: Date) => date.toISOString().replace('Z', '000Z');

/**
 * Leader election over a coordination.k8s.io Lease, as client-go does it, so that of several server
 * replicas only one runs the reconcilers. A lease counts as expired when it has not changed for its
 * duration as seen by this replica's clock (never by comparing clocks across machines). The leader
 * renews every retry interval. Others see a renew only after it was sent, so once the renew deadline
 * has passed since the last successful one began, the leader stops its work, whether or not a renew
 * is still waiting for an answer: every lease call is bounded by that deadline, and a timer steps down
 * when it passes.
 */
export class LeaderElection {
  readonly #session: StoreSession;
  readonly #options: LeaderElectionOptions;
  readonly #work: LeaderWork;
  #observed: { resourceVersion: string; atMs: number } | undefined;
  /** Set from the moment this replica leads (the work may still be starting) until it steps down. */
  #running: Promise<RunningWork | undefined> | undefined;
  /** Aborted when the renew deadline of the current term passes; bounds the leader's lease calls. */
  #term = new AbortController();
  #termTimer: NodeJS.Timeout | undefined;
  #stoppingWork: Promise<void> = Promise.resolve();
  /** Aborted by stop(), to end a lease call in flight. */
  readonly #stopRequested = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #tick: Promise<void> = Promise.resolve();

  constructor(session: StoreSession, options: LeaderElectionOptions, work: LeaderWork) {
    if (!(options.retryIntervalMs < options.renewDeadlineMs && options.renewDeadlineMs < options.leaseDurationMs)) {
      throw new Error('leader election needs retry interval < renew deadline < lease duration');
    }
    this.#session = session;
    this.#options = options;
    this.#work = work;
  }

  get isLeader(): boolean {
    return this.#running !== undefined;
  }

  /** Makes the first attempt (so a free lease is taken, and the work started, before this resolves), then keeps trying. */
  async start(): Promise<void> {
    await this.#attempt();
    this.#schedule();
    await this.#running?.catch(() => undefined);
  }

  /** Stops trying; a leader stops its work and releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stopRequested.abort();
    await this.#tick;
    const leading = this.#running !== undefined;
    this.#stepDown('stopping');
    await this.#stoppingWork;
    if (!leading) return;
    await this.#release().catch((error: unknown) => this.#options.logger.warn({ err: error }, 'could not release the reconciler lease'));
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#attempt().finally(() => this.#schedule());
    }, this.#options.retryIntervalMs);
  }

  async #attempt(): Promise<void> {
    const startedMs = Date.now();
    // The leader has until its renew deadline; a follower's attempt gets as long, so none can block the loop.
    const deadline = this.#running === undefined ? AbortSignal.timeout(this.#options.renewDeadlineMs) : this.#term.signal;
    const signal = AbortSignal.any([deadline, this.#stopRequested.signal]);
    try {
      if (await this.#acquireOrRenew(signal)) {
        this.#beginTerm(startedMs);
        if (this.#running === undefined) this.#stepUp(this.#term.signal);
        return;
      }
      this.#stepDown('another replica holds the lease');
      await this.#stoppingWork;
    } catch (error) {
      this.#options.logger.warn({ err: error, lease: this.#options.lease.name }, 'reconciler lease could not be read or written');
    }
  }

  /** After a successful renew that began at `startedMs`: the leader may work until the renew deadline counted from then. */
  #beginTerm(startedMs: number): void {
    clearTimeout(this.#termTimer);
    const term = new AbortController();
    this.#term = term;
    this.#termTimer = setTimeout(
      () => {
        term.abort(deadlinePassed());
        this.#stepDown('could not renew the lease before the renew deadline');
      },
      startedMs + this.#options.renewDeadlineMs - Date.now(),
    );
  }

  /**
   * Starts the work once the previous work has stopped, unless the term ended meanwhile. Not awaited
   * by the attempt, so that renewing goes on while the work starts (it may take longer than a term).
   */
  #stepUp(term: AbortSignal): void {
    const running = this.#stoppingWork.then(() => {
      if (term.aborted || this.#stopped) return undefined;
      this.#options.logger.info({ identity: this.#options.identity }, 'leading: starting the reconcilers');
      return this.#work.start();
    });
    this.#running = running;
    running.catch((error: unknown) => {
      if (this.#running === running) this.#running = undefined;
      this.#options.logger.warn({ err: error }, 'the reconcilers could not start');
    });
  }

  /** Stops the work at once (without waiting for it to finish stopping: `#stoppingWork` does). */
  #stepDown(reason: string): void {
    const running = this.#running;
    if (running === undefined) return;
    this.#running = undefined;
    clearTimeout(this.#termTimer);
    this.#options.logger.info({ identity: this.#options.identity, reason }, 'no longer leading: stopping the reconcilers');
    const previous = this.#stoppingWork;
    this.#stoppingWork = Promise.all([
      previous,
      running.then(
        (work) => work?.stop(),
        () => undefined,
      ),
    ])
      .then(() => undefined)
      .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'the reconcilers did not stop cleanly'));
  }

  /** Takes or keeps the lease; false when another replica holds it and it has not expired. */
  async #acquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { namespace, name } = this.#options.lease;
    let current: StoredObject<'Lease'>;
    try {
      current = await bounded((options) => this.#session.get(this.#ref(), options), signal);
    } catch (error) {
      if (!isStoreError(error, 'NotFound')) throw error;
      return this.#write(
        (options) => this.#session.create({ kind: 'Lease', metadata: { name, namespace }, spec: this.#spec() }, options),
        signal,
      );
    }
    this.#observe(current);
    const holder = current.spec?.holderIdentity ?? '';
    if (holder !== this.#options.identity && holder !== '' && !this.#expired()) return false;
    return this.#write((options) => this.#session.update({ ...current, spec: this.#nextSpec(current.spec ?? {}) }, options), signal);
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
  async #write(write: (options: CallOptions) => Promise<StoredObject<'Lease'>>, signal: AbortSignal): Promise<boolean> {
    try {
      this.#observe(await bounded(write, signal));
      return true;
    } catch (error) {
      if (isStoreError(error, 'Conflict') || isStoreError(error, 'AlreadyExists')) return false;
      throw error;
    }
  }

  /** Bounded too, so that shutting down never waits for a store that does not answer. */
  async #release(): Promise<void> {
    const signal = AbortSignal.timeout(this.#options.renewDeadlineMs);
    const current = await bounded((options) => this.#session.get(this.#ref(), options), signal);
    if (current.spec?.holderIdentity !== this.#options.identity) return;
    const released = { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1 } };
    await bounded((options) => this.#session.update(released, options), signal);
    this.#options.logger.info({ identity: this.#options.identity, lease: this.#options.lease.name }, 'released the reconciler lease');
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

/**
 * The call's answer, or Timeout as soon as `signal` aborts: the store is asked to give up too, but
 * one that cannot (or a call that hangs regardless) must not hold the election up.
 */
function bounded<T>(call: (options: CallOptions) => Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) throw deadlinePassed(signal.reason);
    const onAbort = () => reject(deadlinePassed(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    call({ signal })
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
