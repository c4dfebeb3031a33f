// The QStash adapter's own HTTP client and signature check against the official
// `@upstash/qstash` Client and Receiver: the same publishes produce the same requests (method,
// path, headers, body) on a recording server, and the same signatures are accepted or refused.
// The end-to-end push path over the local QStash server is in test/conformance/qstash-push.test.ts.
import { Client, Receiver } from "@upstash/qstash";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qstashBeatSchedule, qstashBroker, qstashVerifier } from "../../adapters/qstash/mod.ts";
import { AdapterError, buildMessage, encodeMessage, SignatureError } from "../../mod.ts";
import type { OutboundMessage } from "../../src/ports.ts";
import { startBlackHole } from "../support/black-hole.ts";
import { bodyHash, signJwt } from "../../workers/qstash-dev/mod.ts";

interface Seen { method: string; path: string; headers: Record<string, string>; body: string }

let server: Server;
let base = "";
let seen: Seen[] = [];
let answer: (req: IncomingMessage) => { status: number; body: string } = () => ({ status: 200, body: "{}" });

const read = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => { let s = ""; req.setEncoding("utf8").on("data", (c) => (s += c)).on("end", () => resolve(s)); });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await read(req);
    seen.push({ method: req.method!, path: req.url!, headers: { ...req.headers } as Record<string, string>, body });
    const a = answer(req);
    res.writeHead(a.status, { "content-type": "application/json" }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const TOKEN = "test-token";
const worker = "http://127.0.0.1:9/push?app=a";
const official = (): Client => new Client({ baseUrl: base, token: TOKEN, retry: false, enableTelemetry: false });

function outbound(n: number, o: { queue?: string; notBefore?: number; retries?: number } = {}): OutboundMessage {
  const m = buildMessage({ task: "tasks.add", id: `id-${n}`, args: [n, n], queue: o.queue ?? "celery", retries: o.retries });
  return { id: m.headers.id, queue: o.queue ?? "celery", priority: 0, payload: encodeMessage(m), notBefore: o.notBefore };
}

/** The requests one publish makes through our fetch client and through the official Client. */
async function both(messages: OutboundMessage[], opts: { queues?: Record<string, { parallelism: number }>; retries?: number } = {}): Promise<[Seen[], Seen[]]> {
  const runs: Seen[][] = [];
  for (const client of [undefined, official()]) {
    seen = [];
    await qstashBroker({ token: TOKEN, baseUrl: base, workerUrl: worker, client, ...opts }).publish(messages);
    runs.push(seen);
  }
  return [runs[0]!, runs[1]!];
}

describe("publishing: our fetch client sends what the official Client sends", () => {
  it("one message → POST /v2/publish/<url> with the same Upstash-* headers, body and auth", async () => {
    answer = () => ({ status: 201, body: '{"messageId":"msg_1"}' });
    const [ours, theirs] = await both([outbound(1, { retries: 2 })], { retries: 5 });
    expect(ours).toEqual(theirs);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ method: "POST", path: "/v2/publish/http://127.0.0.1:9/push?app=a" });
    expect(ours[0]!.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`, "upstash-method": "POST", "content-type": "application/json",
      "upstash-deduplication-id": "id-1.r2", "upstash-retries": "5",
    });
    expect(JSON.parse(ours[0]!.body).headers.id).toBe("id-1");
  });

  it("an ETA → Upstash-Not-Before in whole seconds (rounded up), part of the dedup id", async () => {
    answer = () => ({ status: 201, body: '{"messageId":"msg_2"}' });
    const eta = Date.now() + 3_600_500; // inside the 7-day cap, so both sends compute the same second
    const [ours, theirs] = await both([outbound(2, { notBefore: eta })]);
    expect(ours).toEqual(theirs);
    expect(ours[0]!.headers["upstash-not-before"]).toBe(String(Math.ceil(eta / 1000)));
    expect(ours[0]!.headers["upstash-deduplication-id"]).toBe(`id-2.r0.t${Math.floor(eta / 1000)}`);
  });

  it("a queue listed in `queues` → POST /v2/queues once, then /v2/enqueue/<queue>/<url>", async () => {
    answer = (req) => ({ status: 200, body: req.url === "/v2/queues" ? "" : '{"messageId":"msg_3"}' });
    const [ours, theirs] = await both([outbound(3, { queue: "io" })], { queues: { io: { parallelism: 4 } } });
    expect(ours).toEqual(theirs);
    expect(ours.map((s) => s.path)).toEqual(["/v2/queues", "/v2/enqueue/io/http://127.0.0.1:9/push?app=a"]);
    expect(JSON.parse(ours[0]!.body)).toEqual({ queueName: "io", parallelism: 4, paused: false });
  });

  it("many messages → one POST /v2/batch with the same entries (destination, lower-cased headers, body, queue)", async () => {
    answer = (req) => ({ status: 200, body: req.url === "/v2/queues" ? "" : '[{"messageId":"a"},{"messageId":"b"},{"messageId":"c"}]' });
    const msgs = [outbound(4), outbound(5, { queue: "io" }), outbound(6, { notBefore: Date.now() + 60_000 })];
    const [ours, theirs] = await both(msgs, { queues: { io: { parallelism: 1 } } });
    expect(ours).toEqual(theirs);
    const batch = JSON.parse(ours.at(-1)!.body) as { destination: string; queue?: string; headers: Record<string, string> }[];
    expect(batch.map((b) => [b.destination, b.queue])).toEqual([[worker, undefined], [worker, "io"], [worker, undefined]]);
    expect(batch[0]!.headers).toEqual({ "content-type": "application/json", "upstash-deduplication-id": "id-4.r0", "upstash-method": "POST" });
  });

  it("qstashBeatSchedule → POST /v2/schedules/<url> with Upstash-Cron and Upstash-Schedule-Id, as the Client's schedules.create", async () => {
    answer = () => ({ status: 200, body: '{"scheduleId":"celeriac-beat"}' });
    const runs: Seen[][] = [];
    for (const client of [undefined, official()]) {
      seen = [];
      expect(await qstashBeatSchedule({ token: TOKEN, baseUrl: base, tickUrl: "http://127.0.0.1:9/tick", client })).toBe("celeriac-beat");
      runs.push(seen);
    }
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]![0]!.headers).toMatchObject({ "upstash-cron": "* * * * *", "upstash-schedule-id": "celeriac-beat" });
  });
});

describe("publishing: failures are typed AdapterErrors with a deadline", () => {
  const broker = (o: { timeoutMs?: number; baseUrl?: string } = {}) => qstashBroker({ token: TOKEN, baseUrl: base, workerUrl: worker, ...o });

  it("401 is not retryable, 500 and 429 are; the message names the endpoint and status, never the token", async () => {
    for (const [status, retryable] of [[401, false], [400, false], [429, true], [500, true]] as const) {
      answer = () => ({ status, body: '{"error":"nope"}' });
      const err = await broker().publish([outbound(7)]).then(() => null, (e: unknown) => e);
      expect(err, String(status)).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).retryable, String(status)).toBe(retryable);
      expect((err as Error).message).toContain(`${base} failed (HTTP ${status})`);
      expect((err as Error).message).not.toContain(TOKEN);
    }
  });

  it("a QStash that never answers → retryable AdapterError after timeoutMs, and the request is aborted", async () => {
    const hole = await startBlackHole();
    try {
      const err = await broker({ baseUrl: hole.url, timeoutMs: 200 }).publish([outbound(8)]).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).retryable).toBe(true);
      expect((err as Error).message).toMatch(/publish at .* timed out after 200 ms/);
      await expect.poll(() => hole.closed).toBe(1);
    } finally {
      await hole.close();
    }
  });

  it("a network failure (connection dropped) is tried 3 times in all, then a retryable AdapterError", async () => {
    let connections = 0;
    const dropper = createNetServer((s) => (connections++, s.destroy()));
    await new Promise<void>((r) => dropper.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(dropper.address() as AddressInfo).port}`;
      const err = await broker({ baseUrl: url }).publish([outbound(9)]).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).retryable).toBe(true);
      expect(connections).toBe(3);
    } finally {
      await new Promise<void>((r) => dropper.close(() => r()));
    }
  });

  it("no token and no client, or no workerUrl → ConfigError", () => {
    expect(() => qstashBroker({ workerUrl: worker })).toThrow(/needs \{ token \}/);
    expect(() => qstashBroker({ token: TOKEN, workerUrl: "" })).toThrow(/workerUrl/);
  });
});

describe("signatures: our Web Crypto check accepts and refuses exactly what the official Receiver does", () => {
  const current = "sig_current_key_for_tests";
  const next = "sig_next_key_for_tests";
  const url = "https://app.example.com/push?x=1";
  const body = encodeMessage(buildMessage({ task: "tasks.add", args: [1, 2], queue: "celery" }));
  const enc = new TextEncoder();
  const b64u = (s: string | Uint8Array): string =>
    Buffer.from(typeof s === "string" ? enc.encode(s) : s).toString("base64url");

  /** A JWT with any header and claims, HMAC-signed with `key`. */
  async function jwt(key: string, claims: Record<string, unknown>, header: Record<string, unknown> = { alg: "HS256", typ: "JWT" }): Promise<string> {
    const hash = { HS256: "SHA-256", HS384: "SHA-384", HS512: "SHA-512" }[header.alg as string] ?? "SHA-256";
    const h = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["sign"]);
    return `${h}.${b64u(new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(h))))}`;
  }

  it("valid, rotated, tampered, expired, early, wrong iss/sub/alg/body, malformed: the same verdict, with the same claims", async () => {
    const now = Math.floor(Date.now() / 1000);
    const hash = await bodyHash(enc.encode(body));
    // Margins of ≥ 300 s from the boundaries, so the verdicts never depend on how long the test runs.
    const ok = { iss: "Upstash", sub: url, body: hash, iat: now, nbf: now, exp: now + 600, jti: "jwt_1" };
    const cases: [string, string, boolean][] = [
      ["the dev server's signature", await signJwt(current, { sub: url, body: hash, iat: now }), true],
      ["next key (rotation)", await jwt(next, ok), true],
      ["padded body claim", await jwt(current, { ...ok, body: `${hash}=` }), true],
      ["HS512", await jwt(current, ok, { alg: "HS512" }), true],
      ["no exp/nbf/iat", await jwt(current, { iss: "Upstash", sub: url, body: hash }), true],
      ["unknown key", await jwt("sig_someone_else", ok), false],
      ["expired", await jwt(current, { ...ok, iat: now - 900, nbf: now - 900, exp: now - 300 }), false],
      ["not yet valid", await jwt(current, { ...ok, nbf: now + 300 }), false],
      ["exp as a string", await jwt(current, { ...ok, exp: String(now + 600) }), false],
      ["wrong issuer", await jwt(current, { ...ok, iss: "Someone" }), false],
      ["no issuer", await jwt(current, { ...ok, iss: undefined }), false],
      ["wrong sub", await jwt(current, { ...ok, sub: "https://evil.example/push" }), false],
      ["hash of another body", await jwt(current, { ...ok, body: await bodyHash(enc.encode(`${body} `)) }), false],
      ["no body claim", await jwt(current, { ...ok, body: undefined }), false],
      ["alg none", `${b64u('{"alg":"none"}')}.${b64u(JSON.stringify(ok))}.`, false],
      ["crit header", await jwt(current, ok, { alg: "HS256", crit: ["exp"], exp: 1 }), false],
      ["payload swapped after signing", (await jwt(current, ok)).replace(/\.[^.]+\./, `.${b64u(JSON.stringify({ ...ok, sub: "x" }))}.`), false],
      ["two parts", "a.b", false],
      ["garbage", "not a jwt at all", false],
    ];
    const ours = qstashVerifier({ currentSigningKey: current, nextSigningKey: next, url });
    const theirs = qstashVerifier({ receiver: new Receiver({ currentSigningKey: current, nextSigningKey: next }), url });
    const verdict = async (v: typeof ours, sig: string) => {
      const req = new Request(url, { method: "POST", body, headers: { "upstash-signature": sig } });
      return v(req).then((b) => (expect(b).toBe(body), true), (e: unknown) => (expect(e).toBeInstanceOf(SignatureError), false));
    };
    const got = await Promise.all(cases.map(async ([what, sig]) => [what, await verdict(ours, sig), await verdict(theirs, sig)]));
    expect(got).toEqual(cases.map(([what, , want]) => [what, want, want]));
  });

  it("url: false skips the sub check (both); clock tolerance and an injected clock apply to exp/nbf", async () => {
    const now = Math.floor(Date.now() / 1000);
    const hash = await bodyHash(enc.encode(body));
    const other = await jwt(current, { iss: "Upstash", sub: "https://elsewhere.example/", body: hash, exp: now + 600 });
    const req = (sig: string) => new Request(url, { method: "POST", body, headers: { "upstash-signature": sig } });
    await expect(qstashVerifier({ currentSigningKey: current, nextSigningKey: next, url: false })(req(other))).resolves.toBe(body);
    await expect(qstashVerifier({ receiver: new Receiver({ currentSigningKey: current, nextSigningKey: next }), url: false })(req(other))).resolves.toBe(body);
    const at = 2_000_000_000;
    const fixed = await jwt(current, { iss: "Upstash", sub: url, body: hash, nbf: at, exp: at + 300 });
    const clocked = (s: number, tol?: number) => qstashVerifier({ currentSigningKey: current, nextSigningKey: next, url, now: () => s * 1000, clockToleranceSeconds: tol });
    await expect(clocked(at)(req(fixed))).resolves.toBe(body);
    await expect(clocked(at - 10)(req(fixed))).rejects.toThrow(SignatureError);
    await expect(clocked(at - 10, 10)(req(fixed))).resolves.toBe(body);
    await expect(clocked(at + 300)(req(fixed))).rejects.toThrow(SignatureError);
    await expect(clocked(at + 300, 1)(req(fixed))).resolves.toBe(body);
  });

  it("missing keys → ConfigError; a missing header → SignatureError before the body is read", async () => {
    expect(() => qstashVerifier({ QSTASH_CURRENT_SIGNING_KEY: "a" })).toThrow(/QSTASH_NEXT_SIGNING_KEY/);
    const req = new Request(url, { method: "POST", body });
    await expect(qstashVerifier({ currentSigningKey: current, nextSigningKey: next })(req)).rejects.toThrow(/missing Upstash-Signature/);
    expect(req.bodyUsed).toBe(false);
  });
});
