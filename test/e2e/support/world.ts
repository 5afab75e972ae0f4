import { CfCli } from './cf-cli.ts';

/** A user as the cf CLI knows them: the kubeconfig entry it signs with and the name the server sees. */
export type E2eUser = { kubeconfigUser: string; username: string };

/** What a session needs from a backend: a running API, a kubeconfig with its users, and a way to add users. */
export type E2eWorld = {
  backend: 'embedded' | 'kubernetes';
  apiUrl: string;
  /** The kubeconfig the CLI reads users from. */
  kubeconfig: string;
  admin: E2eUser;
  defaultDomain: string;
  /** A new user with no roles, signing with a client certificate. */
  newCertificateUser(name: string): Promise<E2eUser>;
  /** A new user with no roles, signing with a bearer token only. */
  newTokenUser(name: string): Promise<E2eUser>;
};

/** A cf CLI with its own CF_HOME, pointed at the API and logged in as `user` (`cf api` + `cf auth`). */
export async function loggedIn(world: Pick<E2eWorld, 'apiUrl' | 'kubeconfig'>, user: E2eUser): Promise<CfCli> {
  const cf = await CfCli.create(world.kubeconfig);
  await cf.ok('api', world.apiUrl);
  await cf.ok('auth', user.kubeconfigUser);
  return cf;
}
