/**
 * The Redis side of the dev endpoint: one shared ioredis connection for single commands and
 * pipelines, dedicated ones for MULTI/EXEC, and Upstash's reply shapes (`{result}`/`{error}`).
 */
import { Redis, type RedisOptions } from "ioredis";
import { RawCommand, REDIS_OPTIONS, redactUrl, UnreachableError } from "./redis-options.ts";
import { isKill, isReplyError, refusalFor, runsScript, scoped, toJson } from "./resp.ts";

export { UnreachableError } from "./redis-options.ts";

/** Counters shared with the HTTP side. */
export interface LinkStats {
  commands: number;
}

type Outcome = { result: unknown } | { error: string };

/** Runs Upstash REST requests against one Redis. */
export interface RedisLink {
  /** Answer one REST request: `/` (one command), `/pipeline` or `/multi-exec`. */
  execute(path: string, cmds: string[][], base64: boolean): Promise<[number, unknown]>;
  close(): void;
}

/**
 * Connect lazily to `redisUrl`; requests fail with `UnreachableError` while Redis is down. A
 * request that runs a script still busy after `scriptTimeoutMs` gets SCRIPT KILL (FUNCTION KILL)
 * sent on a side connection, as does a SCRIPT KILL a client sends: on the shared connection it
 * would queue behind the very script it must stop.
 */
export function redisLink(redisUrl: string, stats: LinkStats, scriptTimeoutMs = 5000): RedisLink {
  const connections = new Set<Redis>();
  const idle: Redis[] = []; // dedicated connections for MULTI/EXEC, reused between requests
  let lastConnectionError = "";

  const connect = (extra: RedisOptions = {}): Redis => {
    const conn = new Redis(redisUrl, { ...REDIS_OPTIONS, ...extra });
    conn.on("error", (err: Error) => (lastConnectionError = err.message || String(err)));
    conn.on("ready", () => (lastConnectionError = ""));
    connections.add(conn);
    return conn;
  };
  const drop = (conn: Redis): void => {
    connections.delete(conn);
    conn.disconnect();
  };
  const shared = connect();
  // Connected up front, without a ready check (INFO): while a script is busy Redis answers
  // nothing but the kill commands, so this connection cannot be opened once it is needed.
  const side = connect({ enableReadyCheck: false });

  const send = (conn: Redis, cmd: string[], counted = true): Promise<unknown> => {
    if (counted) stats.commands++;
    const [name = "", ...args] = scoped(cmd);
    return conn.sendCommand(new RawCommand(name, args, { replyEncoding: null })) as Promise<unknown>;
  };
  const killScriptsAfter = <T>(cmds: string[][], p: Promise<T>): Promise<T> => {
    if (!cmds.some(runsScript)) return p;
    const timer = setTimeout(() => {
      const kills = cmds.some((c) => /^FCALL/i.test(c[0] ?? "")) ? [["SCRIPT", "KILL"], ["FUNCTION", "KILL"]] : [["SCRIPT", "KILL"]];
      for (const kill of kills) send(side, kill, false).catch(() => {}); // NOTBUSY: it ended meanwhile
    }, scriptTimeoutMs);
    return p.finally(() => clearTimeout(timer));
  };

  const unreachable = (err: unknown): UnreachableError => {
    const detail = lastConnectionError || (err instanceof Error ? err.message : String(err));
    return new UnreachableError(`Unable to connect to Redis at ${redactUrl(redisUrl)}: ${detail}`);
  };

  const outcome = (p: Promise<unknown>, base64: boolean): Promise<Outcome> =>
    p.then(
      (reply): Outcome => ({ result: toJson(reply, base64) }),
      (err: unknown): Outcome => {
        if (isReplyError(err)) return { error: err.message };
        throw unreachable(err);
      },
    );

  async function multiExec(cmds: string[][], base64: boolean): Promise<[number, unknown]> {
    const conn = idle.pop() ?? connect();
    // Pipelined on a connection nobody else uses, so no foreign command lands inside the transaction.
    const sent = [send(conn, ["MULTI"], false), ...cmds.map((cmd) => send(conn, cmd)), send(conn, ["EXEC"], false)];
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((s) => s.status === "rejected" && !isReplyError(s.reason));
    if (failed) {
      drop(conn); // its transaction state is unknown
      throw unreachable((failed as PromiseRejectedResult).reason);
    }
    if (idle.length < 4) idle.push(conn);
    else drop(conn);
    const exec = settled[settled.length - 1]!;
    if (exec.status === "rejected") {
      // EXECABORT: a command was refused at queue time (unknown command, wrong arity...); say which.
      const cause = settled.find((s): s is PromiseRejectedResult => s.status === "rejected" && s !== exec);
      const message = (exec.reason as Error).message;
      return [400, { error: cause ? `${message} (${(cause.reason as Error).message})` : message }];
    }
    const replies = exec.value as unknown[];
    return [200, replies.map((r) => (isReplyError(r) ? { error: r.message } : { result: toJson(r, base64) }))];
  }

  async function execute(path: string, cmds: string[][], base64: boolean): Promise<[number, unknown]> {
    const refusals = cmds.map(refusalFor);
    const connFor = (cmd: string[]): Redis => (isKill(cmd) ? side : shared);
    if (path === "/") {
      if (refusals[0]) return [400, { error: refusals[0] }];
      const out = await killScriptsAfter(cmds, outcome(send(connFor(cmds[0]!), cmds[0]!), base64));
      return ["error" in out ? 400 : 200, out];
    }
    if (path === "/multi-exec") {
      const refused = refusals.find((r) => r !== undefined);
      return refused ? [400, { error: refused }] : killScriptsAfter(cmds, multiExec(cmds, base64));
    }
    // Every command is written at once on the shared connection; RESP keeps them in order.
    const outs = cmds.map((cmd, i) => {
      const refused = refusals[i];
      return refused ? Promise.resolve<Outcome>({ error: refused }) : outcome(send(connFor(cmd), cmd), base64);
    });
    return [200, await killScriptsAfter(cmds, Promise.all(outs))];
  }

  return {
    execute,
    close: (): void => {
      for (const conn of connections) drop(conn);
    },
  };
}
