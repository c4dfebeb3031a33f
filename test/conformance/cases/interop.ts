import { buildMessage, encodeMessage, FAILURE, group, GroupResult, SUCCESS, TaskError, type TaskContext } from "../../../mod.ts";
import { deepEqual, equal, ok } from "../assert.ts";
import { makeApp, pull, type Case, type Fixture } from "../harness.ts";

// Interop behaviour that is celeriac's alone (docs/celery-interop.md): what our worker does with
// messages Python producers send that are not plain protocol v2 JSON.

async function compress(text: string, format: "deflate" | "gzip"): Promise<string> {
  const stream = new Blob([new TextEncoder().encode(text)]).stream().pipeThrough(new CompressionStream(format));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return btoa(String.fromCharCode(...bytes));
}

/** A kombu envelope for `tasks.add(a, b)` with its body rewritten by `edit`. */
async function envelope(a: number, b: number, edit: (env: Record<string, any>, body: string) => Promise<void> | void) {
  const msg = buildMessage({ task: "tasks.add", args: [a, b], queue: "celery" });
  const env = JSON.parse(encodeMessage(msg));
  await edit(env, JSON.stringify([[a, b], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]));
  return { id: msg.headers.id, payload: JSON.stringify(env) };
}

export function interopCases(f: Fixture): Case[] {
  return [
    {
      name: "zlib bodies (kombu's application/x-gzip) and true gzip bodies are decompressed and run",
      fn: async () => {
        const app = makeApp(f);
        app.task("tasks.add", (a: number, b: number) => a + b);
        const zlib = await envelope(1, 2, async (env, body) => {
          env.body = await compress(body, "deflate");
          env.headers.compression = "application/x-gzip";
        });
        const gzip = await envelope(3, 4, async (env, body) => {
          env.body = await compress(body, "gzip");
          env.headers.compression = "application/x-gzip";
        });
        await app.broker.publish([zlib, gzip].map((m) => ({ id: m.id, queue: "celery", priority: 0, payload: m.payload })));
        const report = await app.worker().drain();
        equal(report.succeeded, 2);
        equal(await app.AsyncResult(zlib.id).get(), 3);
        equal(await app.AsyncResult(gzip.id).get(), 7);
      },
    },
    {
      name: "content we cannot run stores FAILURE ContentDisallowed (kombu's shape) under the readable id, then dead-letters",
      fn: async () => {
        const app = makeApp(f);
        app.task("tasks.add", (a: number, b: number) => a + b);
        const pickle = await envelope(1, 2, (env) => void (env["content-type"] = "application/x-python-serialize"));
        const bz2 = await envelope(1, 2, (env) => void (env.headers.compression = "application/x-bz2"));
        const broken = await envelope(1, 2, async (env) => {
          env.body = "not base64 zlib!";
          env.headers.compression = "application/x-gzip";
        });
        const all = [pickle, bz2, broken];
        await app.broker.publish(all.map((m) => ({ id: m.id, queue: "celery", priority: 0, payload: m.payload })));
        const report = await app.worker().drain();
        equal(report.deadLettered, 3);
        equal((await pull(app).deadLetters(10)).length, 3);
        const errors = (await Promise.all(all.map((m) => app.AsyncResult(m.id).get().catch((e: unknown) => e)))) as TaskError[];
        for (const e of errors) ok(e instanceof TaskError, String(e));
        deepEqual(errors.map((e) => [e.excType, e.excModule]), [
          ["ContentDisallowed", "kombu.exceptions"], ["ContentDisallowed", "kombu.exceptions"], ["DecodeError", "kombu.exceptions"],
        ]);
        deepEqual(errors[0].excMessage, ["Refusing to deserialize untrusted content of type pickle (application/x-python-serialize)"]);
        equal((await app.AsyncResult(bz2.id).meta())!.status, FAILURE);
      },
    },
    {
      name: "protocol 1 messages (everything in the body) run as protocol 2",
      fn: async () => {
        const app = makeApp(f);
        app.task("tasks.add", (a: number, b: number) => a + b);
        const id = crypto.randomUUID();
        const body = { task: "tasks.add", id, args: [20, 22], kwargs: {}, retries: 0, eta: null, expires: null, utc: true };
        const payload = JSON.stringify({
          body: btoa(JSON.stringify(body)), "content-type": "application/json", "content-encoding": "utf-8", headers: {},
          properties: { body_encoding: "base64", delivery_tag: crypto.randomUUID(), delivery_info: { exchange: "", routing_key: "celery" } },
        });
        await app.broker.publish([{ id, queue: "celery", priority: 0, payload }]);
        equal((await app.worker().drain()).succeeded, 1);
        equal(await app.AsyncResult(id).get(), 42);
      },
    },
      {
      name: "soft time limit: returning late without observing the signal is FAILURE SoftTimeLimitExceeded; observing it keeps SUCCESS",
      fn: async () => {
        const app = makeApp(f);
        // The task's timer is set after the 10 ms soft-limit timer with a longer delay, so it fires later.
        const later = () => new Promise((r) => setTimeout(r, 50));
        app.task("t.ignores", { softTimeLimit: 0.01 }, async () => (await later(), "late"));
        app.task("t.reads", { bind: true, softTimeLimit: 0.01 }, async (self: TaskContext) => (await later(), self.signal.aborted ? "saw" : "no"));
        app.task("t.listens", { bind: true, softTimeLimit: 0.01 }, (self: TaskContext) =>
          new Promise((r) => self.signal.addEventListener("abort", () => r("cleaned up"))));
        const [a, b, c] = [await app.sendTask("t.ignores"), await app.sendTask("t.reads"), await app.sendTask("t.listens")];
        await app.worker().drain();
        const meta = (await a.meta())!;
        equal(meta.status, FAILURE);
        deepEqual(meta.result, { exc_type: "SoftTimeLimitExceeded", exc_message: [], exc_module: "billiard.exceptions" });
        deepEqual([await b.state, await b.get()], [SUCCESS, "saw"]);
        deepEqual([await c.state, await c.get()], [SUCCESS, "cleaned up"]);
      },
    },
      {
      name: "GroupResult.save() and app.GroupResult.restore(id) round-trip Celery's taskset record, nested groups included",
      fn: async () => {
        const pair = { broker: f.broker(), backend: f.backend() };
        const app = makeApp(f, {}, pair);
        const add = app.task("tasks.add", (a: number, b: number) => a + b);
        const res = await group([add.s(1, 1), group([add.s(2, 2), add.s(3, 3)])]).delay();
        await res.save();
        await app.worker().drain();
        const other = makeApp(f, {}, pair);
        const restored = await other.GroupResult.restore(res.id);
        ok(restored instanceof GroupResult);
        deepEqual(restored.asTuple(), res.asTuple());
        deepEqual(await restored.get(), await res.get());
        equal(await other.GroupResult.restore("missing"), null);
      },
    },
      {
      name: "the visibility sweep restores only the claiming worker's queues, and an ETA message not before ETA + visibility",
      needs: ["visibilityTimeout"],
      fn: async () => {
        const b = f.broker();
        const hour = 3600_000;
        const envelopeWithEta = (queue: string, eta: number | null) => {
          const msg = buildMessage({ task: "tasks.add", args: [1, 2], queue, eta });
          return { id: msg.headers.id, queue, priority: 0, payload: encodeMessage(msg) }; // on the list, as kombu sends ETAs
        };
        const other = envelopeWithEta("a", null);
        const future = envelopeWithEta("b", Date.now() + hour);
        const past = envelopeWithEta("b", Date.now() - hour);
        await b.publish([other, future, past]);
        // Held as another consumer would hold them (claimed, never acked).
        equal((await b.claim(["a"], { max: 10, visibilityMs: hour })).length, 1);
        equal((await b.claim(["b"], { max: 10, visibilityMs: hour })).length, 2);
        // A claim on "b" with no visibility left: the other queue's message stays where it is,
        // the future ETA message stays held, the overdue one comes back redelivered.
        const again = await b.claim(["b"], { max: 10, visibilityMs: 0 });
        deepEqual(again.map((d) => [JSON.parse(d.payload).headers.id, d.redelivered]), [[past.id, true]]);
        const a = await b.claim(["a"], { max: 10, visibilityMs: 0 });
        deepEqual(a.map((d) => [JSON.parse(d.payload).headers.id, d.redelivered]), [[other.id, true]]);
      },
    },
      {
      name: "a chord frozen by Python (task_id = header group id, body id of its own) keeps both ids when a worker sends it as a chain step",
      fn: async () => {
        const app = makeApp(f);
        app.task("tasks.add", (a: number, b: number) => a + b);
        app.task("tasks.xsum", (xs: number[]) => xs.reduce((a, b) => a + b, 0));
        const [gid, bodyId, m1, m2] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
        const sig = (task: string, args: unknown[], id: string) =>
          ({ task, args, kwargs: {}, options: { task_id: id }, subtask_type: null, immutable: false });
        const chordDict = {
          task: "celery.chord", args: [], options: { task_id: gid }, subtask_type: "chord", immutable: false,
          kwargs: {
            kwargs: {}, body: sig("tasks.xsum", [], bodyId),
            header: { task: "celery.group", args: [], kwargs: { tasks: [sig("tasks.add", [1], m1), sig("tasks.add", [2], m2)] }, options: { task_id: gid }, subtask_type: "group", immutable: false },
          },
        };
        const first = buildMessage({ task: "tasks.add", args: [1, 1], queue: "celery", embed: { chain: [chordDict as never] } });
        await app.broker.publish([{ id: first.headers.id, queue: "celery", priority: 0, payload: encodeMessage(first) }]);
        // The body is sent straight away by the last member (not with the batch): drain again for it.
        for (let i = 0; i < 5 && !(await app.AsyncResult(bodyId).ready()); i++) await app.worker().drain();
        equal(await app.AsyncResult(bodyId).get({ timeout: 5000 }), (2 + 1) + (2 + 2));
        deepEqual(await Promise.all([m1, m2].map((id) => app.AsyncResult(id).get())), [3, 4]);
        equal(await app.AsyncResult(gid).meta(), null);
      },
    },
  ];
}
