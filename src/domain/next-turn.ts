// Lets the event loop take a turn. The SQLite driver is synchronous, so a loop of store calls runs as one
// chain of microtasks: without a turn now and then, I/O answers, timers and HTTP requests (a Slack post's
// reply, a button click's ack, /healthz) wait until the whole loop is through.
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How long a loop may hold the event loop before it takes a turn (see turnTaker). */
export const TURN_BUDGET_MS = 10;

/**
 * For a loop over many items: `await take()` between items takes a turn once the loop has run `budgetMs`
 * since its last one. A turn per item would let every I/O answer that is ready go first each time, and a
 * loop sharing the worker with a busy Slack lane would crawl; a budget keeps both moving.
 */
export function turnTaker(budgetMs: number = TURN_BUDGET_MS, now: () => number = performance.now.bind(performance)) {
  let since = now();
  return async (): Promise<void> => {
    if (now() - since < budgetMs) return;
    await nextTurn();
    since = now();
  };
}
