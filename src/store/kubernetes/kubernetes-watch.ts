import type { IncomingMessage } from 'node:http';
import { StoreError } from '../errors.ts';
import type { KindName } from '../kinds.ts';
import type { StoredObject } from '../objects.ts';
import type { Watch, WatchEvent } from '../port.ts';
import { KubernetesHttpError, readAll, type KubernetesStatus, type RestClient, type RestRequest } from './rest-client.ts';
import { translateKubernetesError } from './error-translation.ts';
import { retryDelayMs } from './retry-policy.ts';

type RawEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: Record<string, unknown> };

/**
 * A watch that outlives the apiserver's request timeout: when a watch request ends, the next one
 * starts from the last version seen (kept current by bookmarks), so no change is lost or repeated.
 */
export async function startWatch<K extends KindName>(
  client: RestClient,
  request: RestRequest,
  startVersion: string | undefined,
  onEvent: (event: WatchEvent<K>) => void,
): Promise<Watch> {
  const aborter = new AbortController();
  let resourceVersion = startVersion;
  const open = async (): Promise<IncomingMessage> => {
    for (let attempt = 0; ; attempt++) {
      const query = { ...request.query, watch: '1', allowWatchBookmarks: 'true', resourceVersion };
      const response = await client.stream({ ...request, query }, aborter.signal);
      if (response.statusCode === 200) return response;
      const body = await readAll(response);
      const delay = retryDelayMs(response, 'GET', attempt);
      if (delay === undefined) {
        throw new KubernetesHttpError(
          response.statusCode ?? 0,
          body.startsWith('{') ? (JSON.parse(body) as KubernetesStatus) : { message: body },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  const first = await open().catch((error: unknown) => {
    throw translateKubernetesError(error);
  });
  const closed = (async () => {
    let response: IncomingMessage | undefined = first;
    while (!aborter.signal.aborted) {
      response ??= await open();
      for await (const raw of lines(response)) {
        const event = JSON.parse(raw) as RawEvent;
        if (event.type === 'ERROR') throw expiredOrFailed(event.object);
        resourceVersion = (event.object['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion ?? resourceVersion;
        if (event.type !== 'BOOKMARK') onEvent({ type: event.type, object: event.object as unknown as StoredObject<K> });
      }
      response = undefined;
    }
  })().catch((error: unknown) => {
    if (aborter.signal.aborted) return;
    throw translateKubernetesError(error);
  });
  closed.catch(() => undefined); // the caller observes it through `closed`
  return { stop: () => aborter.abort(), closed };
}

function expiredOrFailed(status: Record<string, unknown>): StoreError {
  const message = typeof status['message'] === 'string' ? status['message'] : 'the watch failed';
  return new StoreError(status['code'] === 410 ? 'Conflict' : 'Unavailable', message);
}

async function* lines(stream: IncomingMessage): AsyncGenerator<string> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += (chunk as Buffer).toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') yield line;
      newline = buffered.indexOf('\n');
    }
  }
}
