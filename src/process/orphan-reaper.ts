import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Waits for its stdin to close, then SIGKILLs the groups of the live list ("-123 -456"): in
 * "file" mode the first line of fd 3 (an unlinked file the supervisor rewrites in place), in
 * "pipe" mode (or after a "pipe" line) the last line read from stdin. A clean stop sends an
 * empty list first.
 */
const WATCHDOG = 'm=$1; g=; while IFS= read -r l; do case $l in pipe) m=pipe ;; *) g=$l ;; esac; done; if [ "$m" = file ]; then g=; IFS= read -r g <&3; fi; [ -n "$g" ] && kill -KILL $g 2>/dev/null; exit 0';

/**
 * An unlinked file, open for reading and writing, for the live list: the watchdog inherits it
 * as fd 3, nothing is left on disk whatever happens, and no one else can open it by name.
 * Undefined when the temp directory is not writable (the list then goes down the pipe).
 */
function openListFile(): number | undefined {
  const path = join(tmpdir(), `drover-reaper-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const fd = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
    return fd;
  } catch {
    return undefined;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // released all the same
  }
}

/**
 * Kills what is left of the handlers' process groups when the supervisor dies without
 * cleaning up (kill -9, the OOM killer). The parent-death signal ends each handler, but not
 * the children it started (a DataLoader worker, an ffmpeg): orphaned, they would hold memory
 * and GPUs. A tiny shell watchdog in its own process group waits on a pipe that closes when the
 * supervisor dies, however it dies, and then reads the list of live groups.
 *
 * The list is rewritten in place in a file the watchdog holds open (one pwrite per change, a few
 * µs): a line down the pipe per spawn woke the watchdog every time and, on a busy machine, let it
 * preempt the supervisor in the middle of a one-shot spawn.
 */
export class OrphanReaper {
  readonly #groups = new Set<number>();
  #watchdog: ChildProcess | undefined;
  /** The list file (see openListFile); undefined: the list goes down the watchdog's stdin. */
  #listFd: number | undefined;
  /** A removal not yet sent: removals wait for the next add or the next turn of the event loop. */
  #pendingSend: NodeJS.Immediate | undefined;

  constructor() {
    if (process.platform === 'win32') return;
    const listFd = openListFile();
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'sh', listFd === undefined ? 'pipe' : 'file'], {
      stdio: ['pipe', 'ignore', 'ignore', ...(listFd === undefined ? [] : [listFd])],
      detached: true,
    });
    child.on('error', () => undefined); // no /bin/sh: run without the watchdog
    child.stdin?.on('error', () => undefined); // the watchdog was killed: nothing to protect with
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.(); // never keeps the supervisor alive
    this.#watchdog = child;
    this.#listFd = listFd;
  }

  /** A handler started: its pid is its process group (handlers are spawned detached). */
  add(pgid: number | undefined): void {
    if (pgid === undefined || pgid <= 1) return; // -1 would mean every process we may signal
    this.#groups.add(pgid);
    this.#send(); // at once: a new group must be covered before anything else can happen
  }

  /**
   * A handler exited. Sent on the next turn (or with the next add: a one-shot pool replaces an
   * exited process in the same turn), so a spawn costs one write, not two; a group listed a
   * moment too long is only killed if the supervisor dies in that moment.
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
    if (this.#listFd !== undefined) closeQuietly(this.#listFd); // the watchdog has its own copy
    this.#listFd = undefined;
  }

  #send(): void {
    if (this.#pendingSend) clearImmediate(this.#pendingSend);
    this.#pendingSend = undefined;
    const line = `${[...this.#groups].map((g) => `-${g}`).join(' ')}\n`;
    const stdin = this.#watchdog?.stdin;
    if (this.#listFd !== undefined) {
      try {
        // At offset 0, never moving the shared file offset (pwrite): the watchdog reads from there.
        // A shorter list leaves old bytes after its newline; only the first line is read.
        writeSync(this.#listFd, line, 0);
        return;
      } catch {
        // A full disk: tell the watchdog to take the list from the pipe from now on.
        closeQuietly(this.#listFd);
        this.#listFd = undefined;
        if (stdin && !stdin.destroyed) stdin.write('pipe\n');
      }
    }
    if (stdin && !stdin.destroyed) stdin.write(line);
  }
}
