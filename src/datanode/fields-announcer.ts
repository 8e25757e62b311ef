// Tells consumers that a data node's field list changed, as the event
// `consumer.<node>.fields_changed` (see fieldsChangedTopic). A source may
// report changes in bursts (every new field of a feed message): they are
// coalesced into at most one event per `gapMs`, and the last change is
// always followed by an event (trailing edge). Nothing is published without
// a session; a change seen meanwhile is published once the next one joins.
import { describeError, NotConnectedError, WampError } from '../client/errors.js';
import type { Logger } from '../log/logger.js';

export interface FieldsAnnouncerOptions {
  /** publishes the event once; rejects when that failed */
  publish: () => Promise<void>;
  /** whether a session is open now */
  connected: () => boolean;
  /** least ms between two events */
  gapMs: number;
  logger: Logger;
}

export class FieldsAnnouncer {
  /** a change not yet published */
  private pending = false;
  private timer: NodeJS.Timeout | null = null;
  private lastAt = -Infinity;
  private closed = false;
  private refused = false;
  /** events published so far */
  published = 0;

  constructor(private readonly options: FieldsAnnouncerOptions) {}

  /** The source's field list changed. */
  changed(): void {
    if (this.closed) return;
    this.pending = true;
    this.schedule();
  }

  /** A session joined: publish what changed while there was none. */
  joined(): void {
    if (!this.closed && this.pending) this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) return;
    // a zero wait still coalesces the changes reported in one go (one feed message)
    this.timer = setTimeout(() => this.fire(), Math.ceil(this.untilAllowed()));
    this.timer.unref();
  }

  /** ms until the gap since the last event has passed (0: now) */
  private untilAllowed(): number {
    return Math.max(0, this.lastAt + this.options.gapMs - performance.now());
  }

  private fire(): void {
    this.timer = null;
    if (this.closed || !this.pending || !this.options.connected()) return;
    // timers count whole milliseconds and may fire a little early: the gap is kept regardless
    if (this.untilAllowed() > 0) {
      this.schedule();
      return;
    }
    this.pending = false;
    this.lastAt = performance.now();
    this.options.publish().then(
      () => {
        this.published++;
      },
      (err: unknown) => {
        if (err instanceof NotConnectedError) {
          this.pending = true; // the next session publishes it
          return;
        }
        const refused = err instanceof WampError && err.uri === 'wamp.error.not_authorized';
        // a router whose roles do not allow it: say so once, consumers still work without
        if (refused && this.refused) return;
        this.refused ||= refused;
        this.options.logger.warn({ err: describeError(err) }, 'cannot tell consumers that the field list changed');
      },
    );
  }
}
