import { randomUUID } from 'node:crypto';
import { isStoreError } from '../../store/errors.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { Ref, StoreSession } from '../../store/port.ts';

type Package = StoredObject<'CFPackage'>;

/**
 * Who is uploading a package's bits now: `<claim id> <expiry in epoch ms>`. Written with the version of
 * the package it was read at, so of two uploads that start together exactly one writes it; the other
 * finds it and is refused. An upload renews its claim while it runs; a claim whose holder died (a
 * killed server) expires, so the package takes bits again.
 */
export const uploadClaimAnnotation = 'cfapi.cloudfoundry.org/upload-claim';

/** How long a claim holds without renewal, and how often a running upload renews it. */
export type ClaimTiming = { lifetimeMs: number; renewEveryMs: number };

const defaultTiming: ClaimTiming = { lifetimeMs: 60_000, renewEveryMs: 20_000 };
const maxAttempts = 5;

type ClaimValue = { id: string; expiresAt: number };

function claimOf(cfPackage: Package): ClaimValue | undefined {
  const value = cfPackage.metadata.annotations?.[uploadClaimAnnotation];
  const match = value === undefined ? null : /^(\S+) (\d+)$/.exec(value);
  return match ? { id: match[1]!, expiresAt: Number(match[2]) } : undefined;
}

const claimValue = (id: string, now: number, timing: ClaimTiming): string => `${id} ${now + timing.lifetimeMs}`;

/** Whether an upload holds the package now (a claim that has not expired). */
export function isUploading(cfPackage: Package, now = Date.now()): boolean {
  const claim = claimOf(cfPackage);
  return claim !== undefined && claim.expiresAt > now;
}

const refOf = (cfPackage: Package): Ref<'CFPackage'> => ({
  kind: 'CFPackage',
  namespace: cfPackage.metadata.namespace ?? '',
  name: cfPackage.metadata.name,
});

/**
 * An upload's hold on its package. `session` writes the claim (the caller's session, so RBAC decides
 * whether they may change the package); the server renews and releases it.
 */
export class UploadClaim {
  readonly #id: string;
  readonly #timing: ClaimTiming;
  readonly #server: StoreSession;
  readonly #ref: Ref<'CFPackage'>;
  #latest: Package;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #lost = false;

  private constructor(id: string, server: StoreSession, claimed: Package, timing: ClaimTiming) {
    this.#id = id;
    this.#timing = timing;
    this.#server = server;
    this.#ref = refOf(claimed);
    this.#latest = claimed;
    this.#timer = setInterval(() => {
      this.#renewing = this.#renewing.then(() => this.#renew());
    }, timing.renewEveryMs);
    this.#timer.unref();
  }

  /**
   * Claims the package for an upload, or answers undefined when it cannot take bits (it has them, or
   * another upload holds it). `canTakeBits` is asked of every version read.
   */
  static async take(
    sessions: { caller: StoreSession; server: StoreSession },
    read: Package,
    canTakeBits: (cfPackage: Package) => boolean,
    timing: ClaimTiming = defaultTiming,
  ): Promise<UploadClaim | undefined> {
    const { caller, server } = sessions;
    const id = randomUUID();
    let current = read;
    for (let attempt = 1; ; attempt++) {
      if (!canTakeBits(current) || isUploading(current)) return undefined;
      try {
        const claimed = await caller.patch(
          refOf(current),
          { metadata: { annotations: { [uploadClaimAnnotation]: claimValue(id, Date.now(), timing) } } },
          { resourceVersion: current.metadata.resourceVersion ?? '' },
        );
        return new UploadClaim(id, server, claimed, timing);
      } catch (error) {
        if (!isStoreError(error, 'Conflict') || attempt >= maxAttempts) throw error;
        current = await caller.get(refOf(current));
      }
    }
  }

  /** The package as last written by this claim (its version is what the next write is conditional on). */
  get latest(): Package {
    return this.#latest;
  }

  /**
   * Stops renewing and runs `write` with the latest version of the package while the claim is still
   * this upload's; on a conflicting write by someone else (say, a label change) it reads again and
   * retries. Throws `ClaimLost` when the claim is no longer held.
   */
  async finish<T>(write: (current: Package) => Promise<T>): Promise<T> {
    await this.#stopRenewing();
    for (let attempt = 1; ; attempt++) {
      if (this.#lost || !this.#holds(this.#latest)) throw new ClaimLost();
      try {
        return await write(this.#latest);
      } catch (error) {
        if (!isStoreError(error, 'Conflict') || attempt >= maxAttempts) throw error;
        this.#latest = await this.#server.get(this.#ref);
      }
    }
  }

  /** Gives the package up (the upload failed): removes the claim if it is still this upload's. */
  async release(): Promise<void> {
    await this.#stopRenewing();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const current = attempt === 1 ? this.#latest : await this.#server.get(this.#ref);
        if (!this.#holds(current)) return;
        await this.#server.patch(
          this.#ref,
          { metadata: { annotations: { [uploadClaimAnnotation]: null } } },
          { resourceVersion: current.metadata.resourceVersion ?? '' },
        );
        return;
      } catch (error) {
        if (isStoreError(error, 'NotFound')) return;
        if (!isStoreError(error, 'Conflict')) throw error;
      }
    }
  }

  #holds(cfPackage: Package): boolean {
    return claimOf(cfPackage)?.id === this.#id;
  }

  async #stopRenewing(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
  }

  async #renew(): Promise<void> {
    if (this.#timer === undefined || this.#lost) return;
    try {
      let current = this.#latest;
      for (let attempt = 1; attempt <= maxAttempts && !this.#lost; attempt++) {
        if (!this.#holds(current)) this.#lost = true;
        else if (await this.#renewAt(current)) return;
        else current = await this.#server.get(this.#ref);
      }
    } catch {
      // A renewal that fails (the package went, the store is down) is noticed when the upload finishes.
    }
  }

  /** Extends the claim on this version of the package; false when another write came first. */
  async #renewAt(current: Package): Promise<boolean> {
    try {
      this.#latest = await this.#server.patch(
        this.#ref,
        { metadata: { annotations: { [uploadClaimAnnotation]: claimValue(this.#id, Date.now(), this.#timing) } } },
        { resourceVersion: current.metadata.resourceVersion ?? '' },
      );
      return true;
    } catch (error) {
      if (isStoreError(error, 'Conflict')) return false;
      throw error;
    }
  }
}

/** The upload no longer holds its package (it expired, or the package was deleted meanwhile). */
export class ClaimLost extends Error {
  override readonly name = 'ClaimLost';
}
