import type { ApiRequest, ApiResponse } from './transport.js';

/** A page of a cursor-paged list route: its items and the cursor of the next page (null at the end). */
export interface Page<Item> {
  data: Item[];
  nextCursor: string | null;
}

/** A paged list: iterate it for the items, or `pages()` for whole pages, fetched as you go. */
export interface PagedList<Item, P extends Page<Item>> extends AsyncIterable<Item> {
  pages(): AsyncIterable<P>;
}

/**
 * Follows a list route's `nextCursor` page by page: `path` with the `query` (empty values left
 * out) and, after the first page, the cursor. Nothing is fetched until the list is iterated.
 */
export function pagedList<Item, P extends Page<Item>>(
  get: (request: ApiRequest) => Promise<ApiResponse<P>>,
  path: string,
  query: Record<string, string | number | undefined>,
  signal?: AbortSignal,
): PagedList<Item, P> {
  async function* pages(): AsyncGenerator<P> {
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query))
        if (value !== undefined && value !== '') params.set(name, String(value));
      if (cursor) params.set('cursor', cursor);
      const suffix = params.size > 0 ? `?${params}` : '';
      const page: P = (await get({ method: 'GET', path: `${path}${suffix}`, signal })).body;
      yield page;
      cursor = page.nextCursor;
    } while (cursor);
  }
  return {
    pages,
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page.data;
    },
  };
}
