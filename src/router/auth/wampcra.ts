// WAMP challenge-response authentication, as crossbar does it: the
// challenge is a JSON text naming the session; the client signs it with
// HMAC-SHA256 keyed by its secret (or, for salted users, by the PBKDF2 key
// derived from it, which is what the configuration holds).
import { randomBytes } from 'node:crypto';
import { WampErrors, type Dict } from '../../wamp/messages.js';
import { CRA_DEFAULT_ITERATIONS, CRA_DEFAULT_KEYLEN, computeWcs, secretsEqual } from '../../wamp/crypto.js';
import type { WampCraUser } from '../config.js';
import { deny, type AuthMethod, type AuthStep, type HelloInfo } from './method.js';

export class WampCraAuth implements AuthMethod {
  readonly name = 'wampcra';
  constructor(private readonly users: Readonly<Record<string, WampCraUser>>) {}

  begin(hello: HelloInfo): AuthStep {
    const authid = hello.authid;
    if (authid === undefined || authid === '') return deny(WampErrors.notAuthorized, 'WAMP-CRA needs an authid');
    const user = Object.hasOwn(this.users, authid) ? this.users[authid] : undefined;
    const challenge = JSON.stringify({
      authid,
      authrole: user?.role ?? '',
      authmethod: 'wampcra',
      authprovider: 'static',
      nonce: randomBytes(16).toString('base64'),
      timestamp: new Date().toISOString(),
      session: hello.sessionId,
    });
    const extra: Dict = { challenge };
    if (user?.salt !== undefined) {
      extra.salt = user.salt;
      extra.iterations = user.iterations ?? CRA_DEFAULT_ITERATIONS;
      extra.keylen = user.keylen ?? CRA_DEFAULT_KEYLEN;
    }
    return {
      kind: 'challenge',
      method: 'wampcra',
      extra,
      verify: (signature) => {
        // an unknown authid is challenged like a known one and fails here, so names cannot be probed
        if (user === undefined || !secretsEqual(signature, computeWcs(user.secret, challenge))) {
          return deny(WampErrors.notAuthorized, `WAMP-CRA signature is invalid for authid '${authid}'`);
        }
        return { authid, authrole: user.role, authmethod: 'wampcra', authprovider: 'static' };
      },
    };
  }
}
