// Deciding when a name conflict is final. After a crash or a network cut,
// the router (or the hub) may still hold the old session of the same
// component for a while; a newcomer that finds its name taken should retry
// for a grace period before concluding that another live instance owns it.

export class ClaimGrace {
  private since: number | null = null;

  constructor(
    /** ms to keep retrying a conflict before it is final */
    readonly graceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a conflict; true when the grace period has run out (give up). */
  conflict(): boolean {
    const t = this.now();
    if (this.since === null) this.since = t;
    return t - this.since >= this.graceMs;
  }

  /** The name was claimed: the next conflict starts a new grace period. */
  reset(): void {
    this.since = null;
  }
}
