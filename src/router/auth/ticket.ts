// Ticket authentication: the client names its authid in HELLO and sends
// the ticket (a shared secret) as the AUTHENTICATE signature.
import { WampErrors } from '../../wamp/messages.js';
import { secretsEqual } from '../../wamp/crypto.js';
import type { TicketPrincipal } from '../config.js';
import { deny, type AuthMethod, type AuthStep, type HelloInfo } from './method.js';

export class TicketAuth implements AuthMethod {
  readonly name = 'ticket';
  constructor(private readonly principals: Readonly<Record<string, TicketPrincipal>>) {}

  begin(hello: HelloInfo): AuthStep {
    const authid = hello.authid;
    if (authid === undefined || authid === '') return deny(WampErrors.notAuthorized, 'ticket authentication needs an authid');
    const principal = Object.hasOwn(this.principals, authid) ? this.principals[authid] : undefined;
    return {
      kind: 'challenge',
      method: 'ticket',
      extra: {},
      verify: (signature) => {
        // an unknown authid fails the same way as a wrong ticket, so names cannot be probed
        if (principal === undefined || !secretsEqual(signature, principal.ticket)) {
          return deny(WampErrors.notAuthorized, `ticket authentication failed for authid '${authid}'`);
        }
        return { authid, authrole: principal.role, authmethod: 'ticket', authprovider: 'static' };
      },
    };
  }
}
