/**
 * Writes of one kind under way in this process. A writer that reads what such writes change and
 * then writes from what it read (a message fact looking up its label set while a label refresh
 * copies facts; a template send looking up its charge while a fact write copies charges onto
 * sends) may have read too early and been copied too early: it runs again once no write of the kind
 * is under way (`settled`).
 */
export class Activity {
  private started = 0;
  private running = 0;
  private waiters: Array<() => void> = [];

  /** Runs one write of this kind. */
  async around<T>(write: () => Promise<T>): Promise<T> {
    this.started++;
    this.running++;
    try {
      return await write();
    } finally {
      if (--this.running === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves once no write is under way. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Runs `attempt` (a read of what these writes change, then a write from it) again, after they are
   * idle, while one of them ran at any moment of it: at most `tries` times.
   */
  async settled(attempt: () => Promise<void>, tries = 3): Promise<void> {
    for (let i = 0; i < tries; i++) {
      const started = this.started;
      const busy = this.running > 0;
      await attempt();
      if (!busy && this.running === 0 && this.started === started) return;
      await this.idle();
    }
  }
}
