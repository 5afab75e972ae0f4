/** Sort keys a list endpoint offers, each reading a comparable value from an item. */
export type SortFields<T> = Record<string, (item: T) => string | number>;

/**
 * Orders a list by a CF `order_by` value (`name`, `-created_at`, …). Without one, the list keeps the
 * order it has (the store's stable order). The spec restricts the values, so an unknown field is a bug.
 */
export function orderBy<T>(items: readonly T[], order: string | undefined, fields: SortFields<T>): T[] {
  if (!order) return [...items];
  const descending = order.startsWith('-');
  const field = descending ? order.slice(1) : order.replace(/^\+/, '');
  const read = fields[field];
  if (!read) throw new Error(`order_by field "${field}" has no sort key`);
  const direction = descending ? -1 : 1;
  return [...items].sort((a, b) => direction * compare(read(a), read(b)));
}

function compare(a: string | number, b: string | number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
