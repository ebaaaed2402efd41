// Lets the event loop take a turn. The SQLite driver is synchronous, so a loop of store calls runs as one
// chain of microtasks: without a turn now and then, I/O answers, timers and HTTP requests (a Slack post's
// reply, a button click's ack, /healthz) wait until the whole loop is through.
//
// Turns also give way to arriving requests. The event loop accepts one new connection per iteration (libuv
// since 1.45, Node 20: "don't accept() connections in a loop"), so 50 clicks arriving together on new
// connections need 50 iterations before the last one is even read; during a drain each iteration carries
// several ms of routing, settling and posting, and the 50th click waited hundreds of ms to be accepted (its ack
// then took under a ms). The HTTP server calls requestsArriving() on every new connection; until a short quiet
// spell has passed, a turn is taken in small waits that leave the iterations almost empty, so the connections
// are accepted and acked one right after another, and the work resumes after them (bounded: a flood of
// connections delays each turn by at most URGENT_MAX_WAIT_MS).
// Turns are handed out one per event-loop iteration. Node runs every immediate queued before its check phase in that
// one phase, so loops that each yielded with their own setImmediate resumed back to back (sixteen card lanes,
// detection, routing and the outbox, each with up to TURN_BUDGET_MS of work: tens of ms) and the I/O that arrived
// meanwhile (a click, a Slack answer) waited for all of them. Here the waiting loops queue, and each iteration
// resumes the first of them: between two slices of work the loop polls for I/O.
const waitingTurns: (() => void)[] = [];
let turnScheduled = false;

function handOutTurn(): void {
  turnScheduled = false;
  const next = waitingTurns.shift();
  if (waitingTurns.length > 0) scheduleTurn();
  next?.();
}

function scheduleTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(handOutTurn);
}

const immediate = (): Promise<void> =>
  new Promise((resolve) => {
    waitingTurns.push(resolve);
    scheduleTurn();
  });
const briefly = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** How long after the last new connection turns keep giving way to arriving requests. */
export const URGENT_QUIET_MS = 10;
/** The longest one turn gives way (a steady flood of connections must not stall the work). */
export const URGENT_MAX_WAIT_MS = 250;

let urgentUntil = 0;

/** A request is arriving on a new connection (the HTTP server's `connection` event): turns give way for a moment. */
export function requestsArriving(now: number = performance.now()): void {
  urgentUntil = Math.max(urgentUntil, now + URGENT_QUIET_MS);
}

/** Whether requests arrived in the last URGENT_QUIET_MS (turns are giving way to them). */
export function givingWay(now: number = performance.now()): boolean {
  return now < urgentUntil;
}

export async function nextTurn(): Promise<void> {
  await immediate();
  if (!givingWay()) return;
  const started = performance.now();
  // 1-ms waits, not immediates: the loop may then block in its poll for the next connection instead of spinning.
  while (givingWay() && performance.now() - started < URGENT_MAX_WAIT_MS) await briefly();
}

/** How long a loop may hold the event loop before it takes a turn (see turnTaker). */
export const TURN_BUDGET_MS = 10;

/**
 * For a loop over many items: `await take()` between items takes a turn once the loop has run `budgetMs`
 * since its last one, or at once while requests are arriving. A turn per item would let every I/O answer that
 * is ready go first each time, and a loop sharing the worker with a busy Slack lane would crawl; a budget keeps
 * both moving.
 */
export function turnTaker(budgetMs: number = TURN_BUDGET_MS, now: () => number = performance.now.bind(performance)) {
  let since = now();
  return async (): Promise<void> => {
    if (now() - since < budgetMs && !givingWay()) return;
    await nextTurn();
    since = now();
  };
}

/**
 * Spaces the starts of pieces of work one per turn (see nextTurn), in call order: a piece that runs synchronously for
 * a while before its first wait then never runs back to back with the next one, and requests arriving meanwhile are
 * served between them. Only the starts are spaced: the pieces overlap once they wait.
 */
export function oneStartPerTurn(): <T>(work: () => Promise<T>) => Promise<T> {
  let gate: Promise<void> = Promise.resolve();
  return (work) => {
    const start = gate.then(nextTurn);
    gate = start;
    return start.then(work);
  };
}
