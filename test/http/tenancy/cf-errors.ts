import { expect } from 'chai';
import type { TestResponse } from '../../support/test-server.ts';

/** One CF error response: its status and its single `{code, title, detail}`. */
export type ExpectedError = { status: number; code: number; title: string; detail: string };

/** The CF errors these endpoints answer with, worded as the cf CLI and Korifi expect them. */
export const cfError = {
  notFound: (resourceType: string): ExpectedError => ({
    status: 404,
    code: 10010,
    title: 'CF-ResourceNotFound',
    detail: `${resourceType} not found. Ensure it exists and you have access to it.`,
  }),
  unprocessable: (detail: string): ExpectedError => ({ status: 422, code: 10008, title: 'CF-UnprocessableEntity', detail }),
  notAuthorized: (): ExpectedError => ({
    status: 403,
    code: 10003,
    title: 'CF-NotAuthorized',
    detail: 'You are not authorized to perform the requested action',
  }),
  messageParseError: (): ExpectedError => ({
    status: 400,
    code: 1001,
    title: 'CF-MessageParseError',
    detail: 'Request invalid due to parse error: invalid request body',
  }),
  notAuthenticated: (): ExpectedError => ({ status: 401, code: 10002, title: 'CF-NotAuthenticated', detail: 'Authentication error' }),
};

/** The response is exactly this CF error. */
export function expectCfError(response: TestResponse, expected: ExpectedError): void {
  expect(response.status, response.text).to.equal(expected.status);
  expect(response.body).to.deep.equal({ errors: [{ code: expected.code, title: expected.title, detail: expected.detail }] });
}
