/**
 * JSON data shared by the core and the adapters: result records and signatures, in
 * Celery's exact shapes so Python Celery can read what celeriac writes and the reverse.
 * @module
 */

/** A serialized exception, as Celery's JSON result backend stores it. */
export interface ExceptionInfo {
  exc_type: string;
  exc_message: unknown[];
  exc_module: string | null;
}

/** A result tuple as Celery nests it: `[[id, parent], children]`. */
export type ResultTuple = [[string, ResultTuple | null], ResultTuple[] | null];

/** The record stored under `celery-task-meta-<id>`. */
export interface ResultMeta {
  status: string;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  date_done: string | null;
  task_id: string;
  group_id?: string | null;
  parent_id?: string | null;
  [extra: string]: unknown;
}

/**
 * Options carried inside a signature, with Celery's snake_case names so a Python worker
 * understands them (`task_id`, `link`, `link_error`, `queue`, `priority`, `countdown`, ...).
 */
export interface SignatureOptions {
  task_id?: string;
  queue?: string;
  priority?: number;
  countdown?: number;
  eta?: string;
  expires?: number | string;
  time_limit?: number;
  soft_time_limit?: number;
  ignore_result?: boolean;
  link?: SignatureDict[];
  link_error?: SignatureDict[];
  group_id?: string;
  group_index?: number;
  headers?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** Celery's signature dict: a task call saved as plain JSON. */
export interface SignatureDict {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: SignatureOptions;
  subtask_type: string | null;
  immutable: boolean;
}

/** The `embed` element of a protocol v2 body. */
export interface Embed {
  callbacks: SignatureDict[] | null;
  errbacks: SignatureDict[] | null;
  chain: SignatureDict[] | null;
  chord: SignatureDict | null;
}

/** Protocol v2 headers; unknown (custom) headers are kept. */
export interface TaskHeaders {
  lang: string;
  task: string;
  id: string;
  shadow: string | null;
  eta: string | null;
  expires: string | null;
  group: string | null;
  group_index: number | null;
  retries: number;
  timelimit: [number | null, number | null];
  root_id: string;
  parent_id: string | null;
  argsrepr: string;
  kwargsrepr: string;
  origin: string;
  ignore_result: boolean;
  [custom: string]: unknown;
}

/** kombu's message properties on Redis. */
export interface MessageProperties {
  correlation_id: string;
  reply_to: string;
  delivery_mode: number;
  delivery_info: { exchange: string; routing_key: string; redelivered?: boolean; priority?: number };
  priority: number;
  body_encoding: string;
  delivery_tag: string;
  expiration?: string;
  [extra: string]: unknown;
}

/** A decoded task message. */
export interface TaskMessage {
  headers: TaskHeaders;
  properties: MessageProperties;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: Embed;
}
