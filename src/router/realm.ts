// A realm owns its sessions, its broker, its dealer and its roles; nothing
// is shared between realms.
import type { Logger } from 'pino';
import { Authorizer } from './authorizer.js';
import { Broker } from './broker.js';
import type { RealmConfig } from './config.js';
import { Dealer } from './dealer.js';
import { MetaApi } from './meta.js';
import type { RouterSession } from './session.js';

export class Realm {
  readonly name: string;
  readonly sessions = new Map<number, RouterSession>();
  readonly authorizer: Authorizer;
  readonly broker: Broker;
  readonly dealer: Dealer;
  readonly meta: MetaApi;

  constructor(
    config: RealmConfig,
    readonly log: Logger,
  ) {
    this.name = config.name;
    this.authorizer = new Authorizer(config.roles);
    this.broker = new Broker(this);
    this.dealer = new Dealer(this);
    this.meta = new MetaApi(this);
  }

  join(session: RouterSession): void {
    this.sessions.set(session.id, session);
    this.meta.sessionJoined(session);
  }

  leave(session: RouterSession): void {
    if (!this.sessions.delete(session.id)) return;
    this.dealer.removeSession(session);
    this.broker.removeSession(session);
    this.meta.sessionLeft(session);
  }
}
