import type { Scope } from '../http/operation.ts';
import { parseLabelSelector, type LabelSelector } from '../labels/selector.ts';
import { orderBy, type SortFields } from '../lists/ordering.ts';
import { pageRequest } from '../lists/page-request.ts';
import { paginate, type Page } from '../lists/pagination.ts';
import type { StoredObject } from '../store/objects.ts';
import { presentTimestamps } from '../presenters/resource-basics.ts';

type ListQuery = { order_by?: string; page?: number; per_page?: number };

/** How a list's items are sorted (by `order_by`) and presented. */
export type ListView<T, R> = { sortFields: SortFields<T>; present: (item: T) => R };

/** Orders the whole list, cuts the page asked for, and presents only that page. */
export function pageOf<T, R>(scope: Scope, items: readonly T[], query: ListQuery, view: ListView<T, R>): Page<R> {
  // Without order_by the list keeps its order: no copy of it (thousands of items for one page).
  const ordered = query.order_by === undefined ? items : orderBy(items, query.order_by, view.sortFields);
  const page = paginate(ordered, pageRequest(query, scope.runtime.config.list.defaultPageSize), scope.requestUrl);
  return { pagination: page.pagination, resources: page.resources.map(view.present) };
}

/** `created_at` and `updated_at` of stored objects, as they are presented. */
export const timestampFields: SortFields<StoredObject> = {
  created_at: (object) => presentTimestamps(object).created_at,
  updated_at: (object) => presentTimestamps(object).updated_at,
};

/** The request's `label_selector` (already checked by the HTTP layer), if it has one. */
export function labelSelectorOf(query: { label_selector?: string }): { labelSelector?: LabelSelector } {
  return query.label_selector === undefined ? {} : { labelSelector: parseLabelSelector(query.label_selector) };
}

/** Optional filters, copied only when present (exactOptionalPropertyTypes). */
export function present<T extends Record<string, unknown>>(filters: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
