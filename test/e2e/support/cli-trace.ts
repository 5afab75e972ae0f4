import type { ObservedResponse } from '../../support/contract.ts';

/**
 * Reads the exchanges out of a cf CLI trace (`CF_TRACE=<file>`): each `REQUEST:` block's request line,
 * and the `RESPONSE:` block that answers it: status, headers and JSON body (the CLI re-indents it). The
 * CLI runs some requests at once (it polls a build while it streams the staging logs), so their blocks
 * interleave; a response is paired with its request by the B3 span id the CLI sends and the server
 * echoes, else with the oldest request not yet answered.
 */
export function exchangesOf(trace: string): ObservedResponse[] {
  const exchanges: ObservedResponse[] = [];
  const blocks = trace.split(/^(?=REQUEST: \[|RESPONSE: \[)/m);
  const pending: { method: string; path: string; span: string | undefined }[] = [];
  for (const block of blocks) {
    const lines = block.split('\n');
    if (block.startsWith('REQUEST: [')) {
      const [method = '', target = ''] = (lines[1] ?? '').split(' ');
      pending.push({ method, path: new URL(target, 'http://trace.invalid').pathname, span: spanOf(lines) });
    } else if (block.startsWith('RESPONSE: [') && pending.length > 0) {
      const response = responseOf(lines.slice(1));
      const span = response.headers.get('X-B3-Spanid') ?? undefined;
      const matching = span === undefined ? -1 : pending.findIndex((request) => request.span === span);
      const [request] = pending.splice(matching === -1 ? 0 : matching, 1);
      exchanges.push({ method: request!.method, path: request!.path, ...response });
    }
  }
  return exchanges;
}

/** The `X-B3-Spanid` header of a request block, if it has one. */
function spanOf(lines: readonly string[]): string | undefined {
  const header = lines.find((line) => line.toLowerCase().startsWith('x-b3-spanid: '));
  return header?.slice('x-b3-spanid: '.length).trim();
}

function responseOf(lines: string[]): { status: number; headers: Headers; body: unknown } {
  const status = Number((lines[0] ?? '').split(' ')[1]);
  const headers = new Headers();
  let index = 1;
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    const colon = line.indexOf(': ');
    if (line === '' || line.startsWith('{') || line.startsWith('[') || colon === -1) break;
    headers.append(line.slice(0, colon), line.slice(colon + 2));
  }
  const text = lines.slice(index).join('\n').trim();
  // A 204 has no body (HTTP allows none); the CLI's trace still prints `{}` after one.
  if (status === 204) return { status, headers, body: undefined };
  return { status, headers, body: text === '' ? undefined : parseBody(text) };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
