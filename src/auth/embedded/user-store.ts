import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { withFileLock, writePrivateFile } from './locked-file.ts';

type StoredUser = { name: string; tokenSha256: string; createdAt: string; groups?: string[] };
export type TokenUser = { name: string; groups: readonly string[] };
type UsersFile = { users: StoredUser[] };

/** User names: what Kubernetes would accept as a certificate CN and RBAC subject, without spaces. */
export const userNamePattern = /^[A-Za-z0-9][-A-Za-z0-9_.@:]{0,252}$/;

/**
 * The embedded backend's users and the SHA-256 of their bearer tokens, in one JSON file. Only hashes
 * are stored; the token itself goes into the user's kubeconfig. The file is re-read when it changes,
 * so users added by the `user:add` command work without a restart.
 */
export class UserStore {
  readonly #file: string;
  #users: StoredUser[] = [];
  #loadedMtimeMs = -1;

  constructor(file: string) {
    this.#file = file;
  }

  /** Adds a user with a new random token and returns the token. */
  async add(name: string, groups: readonly string[] = []): Promise<string> {
    if (!userNamePattern.test(name)) {
      throw new Error(`"${name}" is not a valid user name: use letters, digits and - _ . @ :, starting with a letter or digit`);
    }
    return withFileLock(this.#file, async () => {
      // Read afresh under the lock: another process may have added a user since the last read.
      await this.#refresh({ force: true });
      if (this.#users.some((user) => user.name === name)) throw new Error(`User "${name}" already exists`);
      const token = randomBytes(32).toString('base64url');
      this.#users.push({
        name,
        tokenSha256: sha256(token),
        createdAt: new Date().toISOString(),
        ...(groups.length > 0 ? { groups: [...groups] } : {}),
      });
      await this.#save();
      return token;
    });
  }

  /** The user whose token this is, if any. */
  async findByToken(token: string): Promise<TokenUser | undefined> {
    const digest = Buffer.from(sha256(token), 'hex');
    const match = () => this.#users.find((user) => timingSafeEqual(Buffer.from(user.tokenSha256, 'hex'), digest));
    const user = match() ?? ((await this.#refresh()) ? match() : undefined);
    return user && { name: user.name, groups: user.groups ?? [] };
  }

  async count(): Promise<number> {
    await this.#refresh();
    return this.#users.length;
  }

  /** Re-reads the file if it changed; tells whether it did. */
  async #refresh(options: { force?: boolean } = {}): Promise<boolean> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.#file)).mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    if (mtimeMs === this.#loadedMtimeMs && options.force !== true) return false;
    const parsed = JSON.parse(await readFile(this.#file, 'utf8')) as UsersFile;
    this.#users = parsed.users;
    this.#loadedMtimeMs = mtimeMs;
    return true;
  }

  async #save(): Promise<void> {
    await writePrivateFile(this.#file, `${JSON.stringify({ users: this.#users }, null, 2)}\n`);
    this.#loadedMtimeMs = (await stat(this.#file)).mtimeMs;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
