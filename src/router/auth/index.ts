// The authentication methods a WebSocket service accepts, built from its config.
import type { TransportAuth } from '../config.js';
import { AnonymousAuth } from './anonymous.js';
import type { AuthMethod } from './method.js';
import { TicketAuth } from './ticket.js';
import { WampCraAuth } from './wampcra.js';

export type { AuthMethod, AuthStep, Challenge, Identity, Denial, HelloInfo } from './method.js';

/** Methods by name. A service configured with no auth admits anonymous clients as role "anonymous" (crossbar's default). */
export function authMethods(auth: TransportAuth | undefined): Map<string, AuthMethod> {
  const out = new Map<string, AuthMethod>();
  if (auth === undefined) {
    out.set('anonymous', new AnonymousAuth('anonymous'));
    return out;
  }
  if (auth.anonymous) out.set('anonymous', new AnonymousAuth(auth.anonymous.role));
  if (auth.ticket) out.set('ticket', new TicketAuth(auth.ticket.principals));
  if (auth.wampcra) out.set('wampcra', new WampCraAuth(auth.wampcra.users));
  return out;
}
