/**
 * One pub/sub connection per backend, multiplexed: many waiters share a channel subscription;
 * the channel is unsubscribed when its last handler leaves. Reconnect listeners let waiters
 * re-check state after a reconnect (a message published while disconnected is lost).
 */
import { DroverError } from '../../errors.js';
import type { RedisClient } from './scripts.js';
import { duplicateConnection } from './context.js';

type Handler = (message: string) => void;

interface Channel {
  handlers: Set<Handler>;
  ready: Promise<void>;
}

export class Subscriber {
  private conn: RedisClient | undefined;
  private readonly channels = new Map<string, Channel>();
  private readonly reconnectListeners = new Set<() => void>();
  private closedFlag = false;

  constructor(private readonly source: RedisClient) {}

  private connection(): RedisClient {
    if (!this.conn) {
      const conn = duplicateConnection(this.source);
      conn.on('message', (channel: string, message: string) => {
        const entry = this.channels.get(channel);
        if (entry) for (const handler of [...entry.handlers]) handler(message);
      });
      let connectedBefore = false;
      conn.on('ready', () => {
        if (connectedBefore) for (const listener of [...this.reconnectListeners]) listener();
        connectedBefore = true;
      });
      // Errors surface through the commands; keep 'error' from crashing the process.
      conn.on('error', () => undefined);
      this.conn = conn;
    }
    return this.conn;
  }

  /** True after close(): waiters stop waiting. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Subscribes (resolves once Redis confirmed); the returned function unsubscribes. */
  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    if (this.closedFlag) throw new DroverError('QUEUE_ERROR', 'the backend was closed');
    const conn = this.connection();
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), ready: conn.subscribe(channel).then(() => undefined) };
      this.channels.set(channel, entry);
    }
    const current = entry;
    current.handlers.add(handler);
    const leave = async (): Promise<void> => {
      current.handlers.delete(handler);
      if (current.handlers.size === 0 && this.channels.get(channel) === current) {
        this.channels.delete(channel);
        await conn.unsubscribe(channel).catch(() => undefined);
      }
    };
    try {
      await current.ready;
    } catch (error) {
      await leave();
      throw error;
    }
    let left = false;
    return async () => {
      if (left) return;
      left = true;
      await leave();
    };
  }

  /** Called after the subscriber connection reconnected, and on close(); returns a remover. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Disconnects; pending waiters are woken (they see `closed` and give up). */
  close(): void {
    this.closedFlag = true;
    this.conn?.disconnect();
    this.conn = undefined;
    this.channels.clear();
    for (const listener of [...this.reconnectListeners]) listener();
  }
}
