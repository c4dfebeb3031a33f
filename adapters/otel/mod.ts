/**
 * OpenTelemetry spans for celeriac: `otel()` implements the core's `Tracing` port with
 * `@opentelemetry/api` (an optional peer: install it, and an SDK, to use this entry point).
 * Publishing starts a producer span per message and writes W3C `traceparent` (and `tracestate`)
 * into the message headers; a worker starts the consumer span under the context it reads back,
 * also from messages Python Celery sent with that header (opentelemetry-instrumentation-celery
 * writes it there). Without a registered SDK every span is a no-op.
 * @example
 * ```ts
 * import { otel } from "celeriac/adapters/otel";
 * const app = new Celeriac("tasks", { broker, backend, tracing: otel() });
 * ```
 * @module
 */
import {
  context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context, type Span,
  type SpanContext, type TextMapGetter, type TextMapSetter, type Tracer,
} from "@opentelemetry/api";
import type { TaskMessage } from "../../src/message.ts";
import type { Tracing } from "../../src/tracing.ts";

/** Options of `otel()`. */
export interface OtelOptions {
  /** The tracer (default `trace.getTracer("celeriac")` of the global provider). */
  tracer?: Tracer;
}

type Carrier = Record<string, unknown>;
const getter: TextMapGetter<Carrier> = {
  keys: (c) => Object.keys(c),
  get: (c, k) => (typeof c[k] === "string" ? (c[k] as string) : undefined),
};
const setter: TextMapSetter<Carrier> = { set: (c, k, v) => void (c[k] = v) };

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parse a W3C `traceparent` ("00-<trace id>-<span id>-<flags>"); null when malformed or all zeros. */
export function parseTraceparent(v: unknown): SpanContext | null {
  const m = typeof v === "string" ? TRACEPARENT.exec(v.trim().toLowerCase()) : null;
  if (!m || m[1] === "ff" || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return null;
  return { traceId: m[2]!, spanId: m[3]!, traceFlags: parseInt(m[4]!, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** Format a span context as a W3C `traceparent`. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** The context a message carries: the registered propagator's reading, else its `traceparent` read here. */
export function extractContext(headers: Carrier, base: Context = ROOT_CONTEXT): Context {
  const extracted = propagation.extract(base, headers, getter);
  if (trace.getSpanContext(extracted)) return extracted;
  const sc = parseTraceparent(headers.traceparent);
  return sc ? trace.setSpanContext(base, sc) : base;
}

function attributes(msg: TaskMessage, action: string): Record<string, string | number> {
  const h = msg.headers;
  return {
    "messaging.system": "celery", "messaging.operation": action === "apply_async" ? "publish" : "process",
    "messaging.message.id": h.id, "messaging.destination.name": msg.properties.delivery_info.routing_key,
    "celery.action": action, "celery.task_name": h.task, "celery.retries": h.retries,
  };
}

function fail(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === "Retry") {
    span.addEvent("retry", { "exception.message": e.message });
    return;
  }
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

/** A `Tracing` for `new Celeriac(name, { tracing: otel() })`. */
export function otel(opts: OtelOptions = {}): Tracing {
  const tracer = (): Tracer => opts.tracer ?? trace.getTracer("celeriac");
  return {
    publish(messages) {
      const spans = messages.map((msg) => {
        const active = context.active();
        // A retry or follow-up published outside any span continues the trace it came with.
        const parent = trace.getSpanContext(active) ? active : extractContext(msg.headers, active);
        const span = tracer().startSpan(`apply_async/${msg.headers.task}`, { kind: SpanKind.PRODUCER, attributes: attributes(msg, "apply_async") }, parent);
        const carrier: Carrier = {};
        propagation.inject(trace.setSpan(parent, span), carrier, setter);
        const sc = span.spanContext();
        if (typeof carrier.traceparent !== "string" && trace.isSpanContextValid(sc)) carrier.traceparent = formatTraceparent(sc);
        Object.assign(msg.headers, carrier);
        return span;
      });
      return (error) => {
        for (const span of spans) {
          if (error !== undefined) fail(span, error);
          span.end();
        }
      };
    },
    async execute(msg, run) {
      const parent = extractContext(msg.headers);
      const span = tracer().startSpan(`run/${msg.headers.task}`, { kind: SpanKind.CONSUMER, attributes: attributes(msg, "run") }, parent);
      try {
        return await context.with(trace.setSpan(parent, span), run);
      } catch (err) {
        fail(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  };
}
