/**
 * Group commit: items added while a flush is pending are written together by one `flush` call
 * (one store transaction instead of one per request). A batch is flushed on the next turn of
 * the event loop (everything queued by the requests of the same turn), after `maxWaitMs`, or at
 * `maxItems`, whichever comes first. Each `add` resolves with its own result.
 */
export interface Batcher<I, O> {
  add(item: I): Promise<O>;
  /** Flushes what is queued and waits for every flush under way. */
  drain(): Promise<void>;
}

export function createBatcher<I, O>(
  flush: (items: I[]) => Promise<O[]>,
  opts: { maxItems: number; maxWaitMs: number },
): Batcher<I, O> {
  let queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  let scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const running = new Set<Promise<void>>();

  const run = () => {
    if (scheduled !== undefined) {
      if (opts.maxWaitMs > 0) clearTimeout(scheduled as NodeJS.Timeout);
      else clearImmediate(scheduled as NodeJS.Immediate);
    }
    scheduled = undefined;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const p = flush(batch.map((b) => b.item)).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i])),
      (e: unknown) => batch.forEach((b) => b.reject(e)),
    );
    running.add(p);
    void p.finally(() => running.delete(p));
  };

  return {
    add(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= opts.maxItems) run();
        else if (scheduled === undefined) {
          scheduled = opts.maxWaitMs > 0 ? setTimeout(run, opts.maxWaitMs) : setImmediate(run);
        }
      });
    },
    async drain() {
      run();
      await Promise.all([...running]);
    },
  };
}
