/**
 * The tracing port: what the core calls around publishing and running a task, so a tracer
 * (OpenTelemetry through `celeriac/adapters/otel`) can wrap them in spans and carry the trace
 * context in the message headers (W3C `traceparent`/`tracestate`, which Python's
 * opentelemetry-instrumentation-celery uses too). Without one, the core does nothing extra.
 * @module
 */
import type { TaskMessage } from "./message.ts";

/** A tracer of publishes and executions (`new Celeriac(name, { tracing })`). */
export interface Tracing {
  /**
   * Called just before one broker publish of `messages`: start a producer span per message and
   * write its trace context into `msg.headers` (it travels with the message). Returns the
   * function that ends those spans, given the publish's error when it failed.
   */
  publish(messages: TaskMessage[]): (error?: unknown) => void;
  /**
   * Run a task's call inside a consumer span whose parent is the context read from
   * `msg.headers`; record a thrown error on the span and rethrow it unchanged.
   */
  execute<T>(msg: TaskMessage, run: () => Promise<T>): Promise<T>;
}
