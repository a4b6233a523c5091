// Promise.all over many items, at most `limit` at a time: each item's work may hold much memory until it ends
// (`orun status --all` reads every record's plan), which all at once multiplied by the number of records.

/** Maps `items` with at most `limit` calls of `fn` in flight; results in the items' order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
