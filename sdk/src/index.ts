export { createCfClient, CfClient } from './client.ts';
export type {
  CfClientOptions,
  CfMethod,
  CfResult,
  ListPage,
  ListPath,
  ListResource,
  SuccessData,
  WaitForJobOptions,
  paths,
} from './client.ts';
export { CfApiError, CfJobFailedError, CfJobTimeoutError, parseWarnings } from './errors.ts';
export type { CfErrorEntry, CfJob } from './errors.ts';
export { authorizationHeader, credentialsFromKubeconfig, KubeconfigError } from './auth.ts';
export type { Credentials, KubeconfigOptions } from './auth.ts';
export { labelSelector, serializeCfQuery } from './query.ts';
export type { LabelRequirement } from './query.ts';
export type { RetryOptions, Warning } from './transport.ts';
export type { components, operations } from './generated/schema.ts';
