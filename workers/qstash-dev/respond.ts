/**
 * What every route of the local QStash API shares: the parsed request (`Ctx`), JSON responses
 * and the API's views of messages and DLQ entries.
 * @module
 */
import type { Engine } from "./engine.ts";
import type { Schedules } from "./schedules.ts";
import type { DlqEntry, Message } from "./types.ts";

export const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
export const notFound = (what: string): Response => json(404, { error: `${what} not found` });
export const utf8 = new TextDecoder();

/** A message in the API's shape (`GET /v2/messages/:id`, DLQ entries). */
export function messageView(m: Message): Record<string, unknown> {
  const view: Record<string, unknown> = {
    messageId: m.messageId, url: m.url, method: m.method, header: m.header, body: utf8.decode(m.body),
    maxRetries: m.maxRetries, notBefore: m.notBefore, createdAt: m.createdAt, callerIp: "127.0.0.1",
  };
  for (const k of ["callback", "failureCallback", "queueName", "scheduleId", "label", "flowControlKey", "parallelism"] as const) {
    if (m[k] != null) view[k] = m[k];
  }
  return view;
}

export const dlqView = (e: DlqEntry): Record<string, unknown> => ({
  ...messageView(e.message), dlqId: e.dlqId, responseStatus: e.responseStatus, responseHeader: e.responseHeader,
  responseBody: e.responseBody,
});

/** One API request, parsed. */
export interface Ctx {
  req: Request;
  m: string;
  q: URLSearchParams;
  /** Path segments after `/v2`. */
  a?: string;
  b?: string;
  c?: string;
  /** Raw path after `/v2/` plus the query: where destinations are read from. */
  dest: string;
  body(): Promise<Uint8Array>;
  engine: Engine;
  schedules: Schedules;
}

/** A route: its response, or `null` when the request is not one of its own. */
export type Route = (x: Ctx) => Promise<Response | null> | Response | null;
