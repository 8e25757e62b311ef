// The listeners of a source's onFieldsChanged hook: sources keep one and
// call `notify` when their field list changed. A listener that throws does
// not stop the others, nor the source's own work (ingesting data, polling).
export class FieldsChangedSignal {
  private readonly listeners = new Set<() => void>();

  /** Adds a listener; returns the function that removes it. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // the listener's own business (the server logs its failures itself)
      }
    }
  }

  get listened(): boolean {
    return this.listeners.size > 0;
  }
}
