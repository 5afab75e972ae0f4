import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import type { components } from '../../../generated/openapi-types.ts';
import { multipartBody } from '../../unit/bits/zip-fixtures.ts';
import type { TestResponse } from '../../support/test-server.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import type { AuthHeaders } from '../tenancy/resources.ts';

export { createApp } from '../lifecycle-fixtures.ts';

export type Package = components['schemas']['Package'];
export type App = components['schemas']['App'];

export const packageRequest = (appGuid: string, type: 'bits' | 'docker' = 'bits', extra: Record<string, unknown> = {}) => ({
  type,
  relationships: { app: { data: { guid: appGuid } } },
  ...extra,
});

export async function createPackage(cf: CfClient, appGuid: string, type: 'bits' | 'docker' = 'bits', extra = {}): Promise<Package> {
  const response = await cf.post('/v3/packages', packageRequest(appGuid, type, extra));
  expect(response.status, response.text).to.equal(201);
  return response.body as Package;
}

/** Sends an upload as the cf CLI does (the `resources` field, then the `bits` part), checked against the document. */
export function upload(cf: CfClient, guid: string, parts: { resources?: string; bits?: Buffer }, as?: AuthHeaders): Promise<TestResponse> {
  const { headers, chunks } = multipartBody(parts);
  return cf.server.request(`/v3/packages/${guid}/upload`, {
    method: 'POST',
    headers: { ...headers, ...(as ?? cf.admin) },
    body: Buffer.concat(chunks),
  });
}

/**
 * Starts an upload whose body stops after `sent` (the multipart head and part of the zip), and
 * gives back a way to finish it or to cut the connection.
 */
export function partialUpload(
  cf: CfClient,
  guid: string,
  bits: Buffer,
  sentBytes: number,
): { finish(): Promise<{ status: number; body: string }>; abort(): void; sent: Promise<void> } {
  const { headers, chunks } = multipartBody({ resources: '[]', bits });
  const whole = Buffer.concat(chunks);
  const url = new URL(`/v3/packages/${guid}/upload`, cf.server.url);
  const handle: { req?: ReturnType<typeof httpRequest> } = {};
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { ...headers, ...cf.admin, 'content-length': String(whole.length) } },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      },
    );
    req.on('error', reject);
    handle.req = req;
  });
  answered.catch(() => undefined);
  const sent = new Promise<void>((resolve) => handle.req!.write(whole.subarray(0, sentBytes), () => resolve()));
  return {
    sent,
    finish: async () => {
      handle.req!.end(whole.subarray(sentBytes));
      return answered;
    },
    abort: () => handle.req!.destroy(),
  };
}
