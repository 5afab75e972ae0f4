import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { parse as parseYaml } from 'yaml';
import { ApiError, messageParseError } from '../errors/api-error.ts';

/** JSON and YAML bodies larger than this are refused; package uploads stream instead. */
export const maxDocumentBytes = 1024 * 1024;

export type BodyFormat = 'json' | 'yaml';

/**
 * Reads a JSON or YAML request body. Content-Type is not checked (the cf CLI sends
 * `application/json` even on GETs, and Korifi never checks it). Empty or unparseable → 400
 * CF-MessageParseError; `undefined` when the body is empty and optional.
 */
export async function readDocumentBody(request: IncomingMessage, format: BodyFormat, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await getRawBody(request, { limit: maxDocumentBytes, encoding: 'utf8' });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') {
      throw new ApiError({
        status: 413,
        code: 10004,
        title: 'CF-InvalidRequest',
        detail: `The request body is larger than ${maxDocumentBytes} bytes.`,
      });
    }
    throw error;
  }
  if (text.trim() === '') {
    if (required) throw messageParseError();
    return undefined;
  }
  try {
    return format === 'json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 0 });
  } catch (error) {
    throw messageParseError(error);
  }
}
