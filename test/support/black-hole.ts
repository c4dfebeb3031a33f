/**
 * A TCP server that accepts every connection and never answers (reads and discards), the
 * endpoint that hangs a client without a deadline. It counts connections and closed sockets.
 */
import { createServer, type Socket } from "node:net";

/** A running black hole. */
export interface BlackHole {
  url: string;
  /** Connections accepted so far. */
  accepted: number;
  /** Of those, closed by the client (an aborted request). */
  closed: number;
  /** Resolves once `n` connections have sent at least one byte (a request is in flight). */
  requests(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let talked = 0;
  const hole: BlackHole = {
    url: "",
    accepted: 0,
    closed: 0,
    requests: (n) => (talked >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((socket) => {
    hole.accepted++;
    sockets.add(socket);
    socket.once("data", () => {
      talked++;
      for (const w of waiters.filter((w) => talked >= w.n)) w.resolve();
    });
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.once("close", () => {
      hole.closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  hole.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return hole;
}
