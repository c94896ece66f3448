import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Reads the live handler process groups, one full list per line ("-123 -456"), and when its
 * stdin closes SIGKILLs the groups of the last list. A clean stop sends an empty list first.
 */
const WATCHDOG = 'g=; while IFS= read -r l; do g=$l; done; [ -n "$g" ] && kill -KILL $g 2>/dev/null; exit 0';

/**
 * Kills what is left of the handlers' process groups when the supervisor dies without
 * cleaning up (kill -9, the OOM killer). The parent-death signal ends each handler, but not
 * the children it started (a DataLoader worker, an ffmpeg): orphaned, they would hold memory
 * and GPUs. A tiny shell watchdog in its own process group holds the list of live groups on
 * a pipe; the pipe closes when the supervisor dies, however it dies.
 */
export class OrphanReaper {
  readonly #groups = new Set<number>();
  #watchdog: ChildProcess | undefined;
  /** A removal not yet sent: removals wait for the next add or the next turn of the event loop. */
  #pendingSend: NodeJS.Immediate | undefined;

  constructor() {
    if (process.platform === 'win32') return;
    const child = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.on('error', () => undefined); // no /bin/sh: run without the watchdog
    child.stdin?.on('error', () => undefined); // the watchdog was killed: nothing to protect with
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.(); // never keeps the supervisor alive
    this.#watchdog = child;
  }

  /** A handler started: its pid is its process group (handlers are spawned detached). */
  add(pgid: number | undefined): void {
    if (pgid === undefined || pgid <= 1) return; // -1 would mean every process we may signal
    this.#groups.add(pgid);
    this.#send(); // at once: a new group must be covered before anything else can happen
  }

  /**
   * A handler exited. Sent on the next turn (or with the next add: a one-shot pool replaces an
   * exited process in the same turn), so a spawn costs the watchdog one line, not two; a group
   * listed a moment too long is only killed if the supervisor dies in that moment.
   */
  remove(pgid: number | undefined): void {
    if (pgid === undefined || !this.#groups.delete(pgid) || this.#pendingSend) return;
    this.#pendingSend = setImmediate(() => this.#send());
    this.#pendingSend.unref();
  }

  /** Clean stop: forget every group, let the watchdog exit. */
  close(): void {
    this.#groups.clear();
    this.#send();
    this.#watchdog?.stdin?.end();
    this.#watchdog = undefined;
  }

  #send(): void {
    if (this.#pendingSend) clearImmediate(this.#pendingSend);
    this.#pendingSend = undefined;
    const stdin = this.#watchdog?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(`${[...this.#groups].map((g) => `-${g}`).join(' ')}\n`);
  }
}
