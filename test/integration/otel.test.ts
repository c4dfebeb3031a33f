// OpenTelemetry through `celeriac/adapters/otel` with the real SDK (BasicTracerProvider +
// InMemorySpanExporter): the producer span and the worker's consumer span share a trace, the
// context travels as `traceparent` in the message headers, errors and retries are recorded,
// and a message real Python Celery 5.2.6 sent with a `traceparent` header continues its trace.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatTraceparent, otel, parseTraceparent } from "../../adapters/otel/mod.ts";
import { redisBackend, redisBroker } from "../../adapters/redis/mod.ts";
import { Celeriac } from "../../mod.ts";
import { startRedisTcp, type RedisTcpEnv } from "../support/redis-tcp.ts";

const run = promisify(execFile);
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer("celeriac-test");
let tcp: RedisTcpEnv;

beforeAll(async () => {
  tcp = await startRedisTcp("otel");
});
afterAll(async () => {
  await tcp?.close();
  await provider.shutdown();
});
afterEach(() => {
  exporter.reset();
  propagation.disable();
});

const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = spans(name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};

function newApp(): Celeriac {
  const app = new Celeriac("otel", { tracing: otel({ tracer }) });
  app.task("t.ok", (x: number) => x + 1);
  app.task("t.boom", () => {
    throw new RangeError("bad input");
  });
  app.task("t.again", { bind: true, maxRetries: 1 }, (self) => self.retry({ countdown: 0 }));
  return app;
}

describe("otel(): spans around publish and execute", () => {
  it("producer and consumer spans share one trace; traceparent travels in the headers", async () => {
    const app = newApp();
    const msg = app.buildMessage("t.ok", [1]);
    await app.publish([msg]);
    const producer = one("apply_async/t.ok");
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(msg.headers.traceparent).toBe(formatTraceparent(producer.spanContext()));
    expect(producer.attributes).toMatchObject({ "messaging.message.id": msg.headers.id, "messaging.destination.name": "celery", "celery.task_name": "t.ok" });
    await app.worker().drain();
    const consumer = one("run/t.ok");
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.status.code).toBe(SpanStatusCode.UNSET);
    expect(await app.AsyncResult(msg.headers.id).get()).toBe(2);
  });

  it("a failure is recorded on the consumer span; a retry is an event and its republish stays in the trace", async () => {
    const app = newApp();
    const failed = await app.sendTask("t.boom");
    const retried = await app.sendTask("t.again");
    await app.worker().drain();
    await app.worker().drain(); // the retry's second attempt (max 1 retry → MaxRetriesExceeded)
    const boom = one("run/t.boom");
    expect(boom.status).toEqual({ code: SpanStatusCode.ERROR, message: "bad input" });
    expect(boom.events.find((e) => e.name === "exception")?.attributes).toMatchObject({ "exception.type": "RangeError", "exception.message": "bad input" });
    expect(await failed.state).toBe("FAILURE");
    const runs = spans("run/t.again");
    expect(runs).toHaveLength(2);
    expect(runs[0]!.events.map((e) => e.name)).toEqual(["retry"]);
    expect(runs[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(new Set(spans("apply_async/t.again").map((s) => s.spanContext().traceId))).toEqual(new Set([runs[0]!.spanContext().traceId]));
    expect(runs[1]!.spanContext().traceId).toBe(runs[0]!.spanContext().traceId);
    expect(await retried.state).toBe("FAILURE");
  });

  it("with the W3C propagator registered, tracestate travels too; a given traceparent is the parent", async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const app = newApp();
    const upstream = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const r = await app.sendTask("t.ok", [1], { headers: { traceparent: upstream, tracestate: "vendor=abc" } });
    await app.worker().drain();
    const producer = one("apply_async/t.ok");
    const consumer = one("run/t.ok");
    expect(producer.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(producer.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.spanContext().traceState?.get("vendor")).toBe("abc");
    expect(await r.get()).toBe(2);
  });

  it("no tracing: no header, no span; the global no-op tracer: no header either", async () => {
    const plain = new Celeriac("plain");
    const a = plain.buildMessage("t.ok", [1]);
    await plain.publish([a]);
    expect(a.headers.traceparent).toBeUndefined();
    const noop = new Celeriac("noop", { tracing: otel() }); // no global provider registered
    noop.task("t.ok", (x: number) => x + 1);
    const b = noop.buildMessage("t.ok", [1]);
    await noop.publish([b]);
    expect(b.headers.traceparent).toBeUndefined();
    await noop.worker().drain();
    expect(await noop.AsyncResult(b.headers.id).get()).toBe(2);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(trace.getTracerProvider()).toBeDefined();
  });

  it("parseTraceparent refuses malformed and all-zero ids", () => {
    expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toMatchObject({ traceFlags: 1, isRemote: true });
    for (const bad of ["", "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 42]) {
      expect(parseTraceparent(bad), String(bad)).toBeNull();
    }
  });
});

describe("otel(): a task sent by Python Celery 5.2.6 with a traceparent header", () => {
  it("the celeriac worker's span continues the Python trace", async () => {
    const prefix = tcp.prefix("py");
    const broker = redisBroker(tcp.client, { prefix });
    tcp.brokers.push(broker);
    const app = new Celeriac("otel", { broker, backend: redisBackend(tcp.client, { prefix }), tracing: otel({ tracer }) });
    app.task("t.ok", (x: number) => x + 1);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parent = "00f067aa0ba902b7";
    const py = `import sys
from celery import Celery
app = Celery(broker=sys.argv[1])
app.conf.broker_transport_options = {"global_keyprefix": sys.argv[2]}
print(app.send_task("t.ok", args=[41], headers={"traceparent": sys.argv[3]}).id)`;
    const { stdout } = await run("/usr/bin/python3", ["-c", py, tcp.url, prefix, `00-${traceId}-${parent}-01`], { timeout: 60_000 });
    const id = stdout.trim();
    expect((await app.worker().drain()).succeeded).toBe(1);
    const consumer = one("run/t.ok");
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(consumer.parentSpanContext).toMatchObject({ spanId: parent, isRemote: true });
    expect(consumer.attributes["messaging.message.id"]).toBe(id);
    expect(await app.AsyncResult(id).get({ timeout: 5000 })).toBe(42);
  });
});
