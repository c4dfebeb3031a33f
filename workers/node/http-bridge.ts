/**
 * Serve a web-standard `(Request) => Promise<Response>` handler on Node's http server (also
 * under Deno and Bun through their node:http). Request bodies are streamed, never buffered here.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** A running server. */
export interface Served {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

// Pull-based: the request is paused whenever the reader is not asking. A reader that gives up
// (a body over the handler's cap) makes the rest be discarded as it arrives, so the connection
// stays usable for the answer and nothing accumulates.
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      req.pause();
      req.on("data", (chunk: Buffer) => {
        c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((c.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once("end", () => c.close());
      req.once("error", (err) => c.error(err));
    },
    pull() {
      req.resume();
    },
    cancel() {
      req.removeAllListeners("data").removeAllListeners("end").removeAllListeners("error");
      req.on("error", () => {}).resume();
    },
  });
}

function toRequest(req: IncomingMessage, base: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v != null) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  const ctrl = new AbortController();
  req.once("close", () => req.complete || ctrl.abort());
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const init: RequestInit & { duplex?: string } = { method: req.method, headers, signal: ctrl.signal };
  if (hasBody) Object.assign(init, { body: bodyStream(req), duplex: "half" });
  // The raw path is kept: QStash destinations sit unencoded in it (`/v2/publish/http://...`).
  return new Request(base + (req.url ?? "/"), init);
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return void res.end();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
  res.end();
}

/** Listen on `port` (0 = a free one) and answer every request with `handler`. */
export function serveFetch(handler: (req: Request) => Promise<Response>, opts: { port?: number; host?: string } = {}): Promise<Served> {
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    const base = `http://${req.headers.host ?? host}`;
    handler(toRequest(req, base)).then((r) => send(res, r)).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String((err as Error)?.message ?? err) }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://${host}:${port}`, port,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections?.();
        }),
      });
    });
  });
}
