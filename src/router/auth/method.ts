// The small interface every authentication method implements. A method
// looks at the HELLO and either admits the client at once, answers with a
// CHALLENGE (and later checks the AUTHENTICATE), or refuses.
import type { Dict } from '../../wamp/messages.js';

export interface HelloInfo {
  realm: string;
  /** authid the client asked for, if any */
  authid?: string;
  /** router-assigned id of the session being opened (part of a CRA challenge) */
  sessionId: number;
}

/** Who a session is once authenticated. */
export interface Identity {
  authid: string;
  authrole: string;
  authmethod: string;
  authprovider: string;
}

export interface Denial {
  kind: 'deny';
  /** ABORT reason URI */
  reason: string;
  /** text for the client and the log; never contains a secret */
  message: string;
}

export interface Challenge {
  kind: 'challenge';
  method: string;
  extra: Dict;
  /** checks the AUTHENTICATE signature */
  verify(signature: string): Identity | Denial;
}

export type AuthStep = { kind: 'welcome'; identity: Identity } | Challenge | Denial;

export interface AuthMethod {
  /** the WAMP authmethod name, e.g. "wampcra" */
  readonly name: string;
  begin(hello: HelloInfo): AuthStep;
}

export function deny(reason: string, message: string): Denial {
  return { kind: 'deny', reason, message };
}
