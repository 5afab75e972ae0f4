import type { ObservedResponse } from '../../support/contract.ts';

/**
 * Reads the exchanges out of a cf CLI trace (`CF_TRACE=<file>`): each `REQUEST:` block's request line,
 * and the following `RESPONSE:` block's status, headers and JSON body (the CLI re-indents it). Requests
 * to other hosts (none in these suites) would be read the same way.
 */
export function exchangesOf(trace: string): ObservedResponse[] {
  const exchanges: ObservedResponse[] = [];
  const blocks = trace.split(/^(?=REQUEST: \[|RESPONSE: \[)/m);
  let request: { method: string; path: string } | undefined;
  for (const block of blocks) {
    const lines = block.split('\n');
    if (block.startsWith('REQUEST: [')) {
      const [method = '', target = ''] = (lines[1] ?? '').split(' ');
      request = { method, path: new URL(target, 'http://trace.invalid').pathname };
    } else if (block.startsWith('RESPONSE: [') && request) {
      exchanges.push({ ...request, ...responseOf(lines.slice(1)) });
      request = undefined;
    }
  }
  return exchanges;
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
