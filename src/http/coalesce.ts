// Shares one piece of upstream work among identical concurrent requests
// (Grafana sends identical /query bodies in bursts: editor refreshes, the
// same panel on several screens). The shared work is aborted only when every
// request waiting for it has gone away.
import { UpstreamError } from './upstream.js';

interface Entry<V> {
  promise: Promise<V>;
  controller: AbortController;
  waiters: number;
}

export class InFlight<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** how many requests joined work already in flight (for metrics) */
  joined = 0;

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `work` for `key`, or joins the run already in flight. `signal` is
   * this caller's: when it aborts, this caller gets a 'canceled' error at
   * once; the work itself is aborted when no caller is left.
   */
  run(key: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<V>): Promise<V> {
    if (signal?.aborted) return Promise.reject(canceled());
    let entry = this.entries.get(key);
    if (entry) {
      this.joined++;
    } else {
      const controller = new AbortController();
      const created: Entry<V> = {
        controller,
        waiters: 0,
        promise: Promise.resolve()
          .then(() => work(controller.signal))
          .finally(() => {
            if (this.entries.get(key) === created) this.entries.delete(key);
          }),
      };
      // the shared promise may reject after every waiter left; nobody must see that as unhandled
      created.promise.catch(() => undefined);
      entry = created;
      this.entries.set(key, entry);
    }
    const e = entry;
    e.waiters++;
    if (!signal) return e.promise;
    return new Promise<V>((resolve, reject) => {
      let done = false;
      const leave = (): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        e.waiters--;
      };
      const onAbort = (): void => {
        if (done) return;
        leave();
        if (e.waiters === 0) {
          if (this.entries.get(key) === e) this.entries.delete(key);
          e.controller.abort();
        }
        reject(canceled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      e.promise.then(
        (v) => {
          leave();
          resolve(v);
        },
        (err: unknown) => {
          leave();
          reject(err);
        },
      );
    });
  }
}

function canceled(): UpstreamError {
  return new UpstreamError('canceled', 'the request was canceled');
}
