/**
 * Deadlines of response bodies in flight (src/crm/transport.ts): undici's body timeout is per chunk, so a body that
 * trickles in must still be ended by its attempt's deadline. One interval watches them all, instead of a timer per
 * request.
 * @module
 */

export interface BodyDeadline {
  readonly until: number;
  stop(): void;
}

/** A response body that must end by `until`: the watch stops it past then. */
export class WatchedBody implements BodyDeadline {
  timedOut = false;
  constructor(
    readonly until: number,
    private readonly body: { destroy(): unknown },
  ) {}
  stop(): void {
    this.timedOut = true;
    this.body.destroy();
  }
}

/**
 * One interval for every response body in flight, instead of a timer per request: it ends bodies whose deadline
 * passed, within a quarter second, and runs only while something is in flight.
 */
export function createBodyWatch(everyMs = 250) {
  const watched = new Set<BodyDeadline>();
  let interval: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = performance.now();
    for (const entry of watched) {
      if (entry.until > now) continue;
      watched.delete(entry);
      entry.stop();
    }
    if (watched.size === 0) stop();
  };
  const stop = () => {
    clearInterval(interval);
    interval = undefined;
  };
  return {
    add(entry: BodyDeadline) {
      watched.add(entry);
      if (!interval) {
        interval = setInterval(sweep, everyMs);
        interval.unref();
      }
    },
    delete(entry: BodyDeadline) {
      watched.delete(entry);
    },
    stop,
  };
}

