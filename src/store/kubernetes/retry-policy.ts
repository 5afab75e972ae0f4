/**
 * When to try a refused call again, as client-go does: the apiserver answers 429 when it is
 * overloaded or a resource's watch cache is still filling ("storage is (re)initializing", right
 * after start-up or a CRD install), and a 5xx with Retry-After when it asks to be called later.
 * Neither means the call was carried out.
 */
export const maxRetries = 5;
const maxDelayMs = 2000;

/** Milliseconds to wait before attempt `attempt + 1`, or undefined when the answer stands. */
export function retryDelayMs(
  response: { statusCode?: number | undefined; headers: Record<string, unknown> },
  method: string,
  attempt: number,
): number | undefined {
  const status = response.statusCode ?? 0;
  const retryAfter = Number(response.headers['retry-after']);
  const asked = Number.isFinite(retryAfter) && response.headers['retry-after'] !== undefined;
  const retryable = status === 429 || (status >= 500 && asked && method === 'GET');
  if (!retryable || attempt >= maxRetries) return undefined;
  return Math.min(asked ? retryAfter * 1000 : 100 * 2 ** attempt, maxDelayMs);
}
