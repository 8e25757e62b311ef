// A WAMP error raised inside the router (by a meta procedure, say), carried
// to the caller as an ERROR message.
import type { Args, Dict } from '../wamp/messages.js';

export class WampError extends Error {
  override name = 'WampError';
  constructor(
    readonly uri: string,
    message: string,
    readonly args: Args = [message],
    readonly kwargs?: Dict,
  ) {
    super(message);
  }
}
