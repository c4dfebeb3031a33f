/**
 * One AMQP connection with a confirm channel for publishing and a channel for consuming,
 * opened on demand and opened again after it is lost. Each opening is an `epoch`: delivery
 * tags of an older epoch are dead (RabbitMQ requeues their messages when the channel closes,
 * so a claimed message is never lost, at worst run again).
 * @module
 */
import { connect, type Channel, type ChannelModel, type ConfirmChannel } from "amqplib";
import { guard } from "./errors.ts";

/** An open connection and its channels. */
export interface Session {
  conn: ChannelModel;
  pub: ConfirmChannel;
  sub: Channel;
  epoch: number;
}

/** Connection options. */
export interface LinkOptions {
  /** Deadline of every operation in ms (default 10 000). */
  timeoutMs: number;
  /** Heartbeat in seconds (default 30: a dead peer is noticed within about a minute). */
  heartbeat?: number;
  /** Called with `(epoch)` whenever a session opens (consumers start again) or is lost. */
  onChange?: (session: Session | null) => void;
}

/** Lazily (re)opened session. */
export class Link {
  private current: Session | null = null;
  private opening: Promise<Session> | null = null;
  private epoch = 0;
  private closed = false;

  constructor(private readonly url: string, private readonly opts: LinkOptions) {}

  /** The open session, opening one (within the deadline) when there is none. */
  session(): Promise<Session> {
    if (this.current) return Promise.resolve(this.current);
    if (this.closed) return Promise.reject(new Error("closed"));
    return (this.opening ??= guard("connect", this.opts.timeoutMs, () => this.open()).finally(() => (this.opening = null)));
  }

  /** The epoch of the open session (0 when none). */
  get live(): number {
    return this.current?.epoch ?? 0;
  }

  /** The open session, if any (no connecting). */
  get active(): Session | null {
    return this.current;
  }

  private async open(): Promise<Session> {
    const url = new URL(this.url);
    if (!url.searchParams.has("heartbeat")) url.searchParams.set("heartbeat", String(this.opts.heartbeat ?? 30));
    // noDelay: without it Nagle + delayed ACKs add ~40 ms to every confirmed publish.
    const conn = await connect(url.toString(), { timeout: this.opts.timeoutMs, noDelay: true });
    try {
      const pub = await conn.createConfirmChannel();
      const sub = await conn.createChannel();
      const s: Session = { conn, pub, sub, epoch: ++this.epoch };
      const lost = (): void => {
        if (this.current !== s) return;
        this.current = null;
        conn.close().catch(() => {});
        this.opts.onChange?.(null);
      };
      for (const emitter of [conn, pub, sub]) {
        emitter.on("error", () => {});
        emitter.on("close", lost);
      }
      if (this.closed) throw new Error("closed");
      this.current = s;
      this.opts.onChange?.(s);
      return s;
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
  }

  /** Close the connection (unacked messages go back to their queues). */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.current;
    this.current = null;
    if (s) await s.conn.close().catch(() => {});
  }
}
