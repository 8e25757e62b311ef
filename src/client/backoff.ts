// Delays between reconnection attempts: exponential, capped, with jitter so
// that many components cut off by one router restart do not all knock at the
// same instant when it comes back.

export interface BackoffOptions {
  /** delay before the first retry, ms */
  initialDelay: number;
  /** ceiling of the delay, ms */
  maxDelay: number;
  /** growth per attempt */
  factor: number;
  /** 0..1: the delay is drawn from [(1 - jitter) x d, d] */
  jitter: number;
}

/**
 * Default delays: 0.25 s doubling to 2 s (each drawn from its upper half).
 * The ceiling bounds how long after the router's return a component may
 * still wait before it knocks again: 2 s keeps a whole system (router, hub,
 * nodes, bridge) answering within about 3 s of a router restart, however
 * long the router was away. A refused connection to a loopback or LAN port
 * costs next to nothing, so knocking every 1-2 s while it is away is cheap.
 */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelay: 250, maxDelay: 2000, factor: 2, jitter: 0.5 };

/** The delay (ms) before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelay, options.initialDelay * Math.pow(options.factor, Math.max(0, attempt)));
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(base * (1 - jitter * random()));
}
