// Lets the event loop take a turn. The SQLite driver is synchronous, so a loop of store calls runs as one
// chain of microtasks: without a turn now and then, I/O answers, timers and HTTP requests (a Slack post's
// reply, a button click's ack, /healthz) wait until the whole loop is through.
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
