import { request } from 'node:http';
import { connect } from 'node:net';
import type { HealthCheckSpec } from '../../app-runtime.ts';

/** Diego's defaults: the start timeout and the time one try may take. */
export const defaultStartTimeoutSeconds = 60;
export const defaultInvocationTimeoutSeconds = 1;

const seconds = (value: number): string => value.toFixed(2);

/** One TCP connect to host:port; the failure as Diego's health check words it. */
function checkPort(host: string, port: number, timeoutSeconds: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`Failed to make TCP connection to port ${port}: timed out after ${seconds(timeoutSeconds)} seconds`);
    }, timeoutSeconds * 1000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(`Failed to make TCP connection to port ${port}: ${error.code === 'ECONNREFUSED' ? 'connection refused' : error.message}`);
    });
  });
}

/** One GET of the endpoint: healthy when it answers 200..399 within the invocation timeout. */
function checkHttp(host: string, port: number, endpoint: string, timeoutSeconds: number): Promise<string | undefined> {
  const failed = (why: string): string => `Failed to make HTTP request to '${endpoint}' on port ${port}: ${why}`;
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request({
      host,
      port,
      path: endpoint,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'cfapi-healthcheck', 'x-forwarded-proto': 'https' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(failed(`timed out after ${seconds(timeoutSeconds)} seconds`));
    }, timeoutSeconds * 1000);
    req.once('response', (res) => {
      clearTimeout(timer);
      res.resume();
      res.once('end', () => req.destroy());
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? undefined : failed(`received status code ${status} in ${Date.now() - started}ms`));
    });
    req.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(failed(error.code === 'ECONNREFUSED' ? 'connection refused' : error.message));
    });
    req.end();
  });
}

/**
 * One try of an instance's health check, as Diego's: `port` connects, `http` GETs the endpoint, `process`
 * is always healthy (the process being alive is the check). Resolves with the failure's text, or
 * undefined when healthy.
 */
export async function checkHealth(check: HealthCheckSpec, host: string, port: number): Promise<string | undefined> {
  const timeout = check.invocationTimeoutSeconds ?? defaultInvocationTimeoutSeconds;
  if (check.type === 'port') return checkPort(host, port, timeout);
  if (check.type === 'http') return checkHttp(host, port, check.endpoint ?? '/', timeout);
  return undefined;
}
