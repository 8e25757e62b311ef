// A fixed number of slots for work that needs much memory at once: at most
// that many hold one, the others wait in order of arrival, and a waiter
// whose request is given up leaves the line.

export class Slots {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  /** Slots held now. */
  get inUse(): number {
    return this.held;
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves, once a slot is free, to the function that gives it back
   * (calling it again does nothing); rejects with `signal`'s reason if it
   * aborts first.
   */
  async take(signal?: AbortSignal): Promise<() => void> {
    if (this.held < this.size) this.held++;
    else {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal?.removeEventListener('abort', stop);
          resolve();
        };
        const stop = (): void => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal?.reason);
        };
        this.waiting.push(go);
        signal?.addEventListener('abort', stop, { once: true });
      });
      // the slot was handed over by the one who gave it back: held is unchanged
    }
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    };
  }
}
