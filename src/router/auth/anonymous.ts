// Anonymous authentication: every client is admitted with the configured
// role and a random authid (never the one it asks for, so an anonymous
// client cannot pose as a named principal).
import { randomBytes } from 'node:crypto';
import type { AuthMethod, AuthStep, HelloInfo } from './method.js';

/** A random authid in crossbar's style, e.g. "JT3P-WXNR-6UNK-YV7F-Y4UN-QTRL". */
export function randomAuthid(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXY3456789';
  const bytes = randomBytes(24);
  let out = '';
  for (let i = 0; i < 24; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += alphabet[bytes[i]! % alphabet.length];
  }
  return out;
}

export class AnonymousAuth implements AuthMethod {
  readonly name = 'anonymous';
  constructor(private readonly role: string) {}

  begin(_hello: HelloInfo): AuthStep {
    return {
      kind: 'welcome',
      identity: { authid: randomAuthid(), authrole: this.role, authmethod: 'anonymous', authprovider: 'static' },
    };
  }
}
