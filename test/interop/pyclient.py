"""Python side of the interop tests: send tasks to celeriac workers and read their results.
Its app is pyapp.py (broker, backend, key prefix and default queue from the environment).

Usage: pyclient.py send <task> <json args> [<json kwargs> [<json apply_async options>]]  → prints the task id
         (option "protocol": 1 sends Celery's protocol 1)
       pyclient.py get <task id> [timeout]                   → prints JSON {state, result} or {state, error}
       pyclient.py chord <header task> <json list of args> <body task> <body queue>  → prints the body id
       pyclient.py chain <json list of [task, args, kwargs, queue]>  → prints the last step's id
       pyclient.py group_save <task> <json list of args> <queue>  → runs group(...), saves it, prints its id
       pyclient.py group_restore <group id> [timeout]  → prints JSON {ids, values} of GroupResult.restore, or null
       pyclient.py canvas <python expression>  → applies the canvas, prints its result id; the expression
         may use chain, chord, group and s(task, args=[], queue="celery") for a signature
chord and chain also write "ids: <id> ..." (every task of the canvas) on stderr, for cleanup.
"""
import json
import sys

from celery import chain, chord, group, signature

from pyapp import app


def main(argv):
    cmd = argv[1]
    if cmd == "send":
        kwargs = json.loads(argv[4]) if len(argv) > 4 else {}
        options = json.loads(argv[5]) if len(argv) > 5 else {}
        if "protocol" in options:
            app.conf.task_protocol = options.pop("protocol")
        print(app.send_task(argv[2], args=json.loads(argv[3]), kwargs=kwargs, **options).id)
    elif cmd == "get":
        r = app.AsyncResult(argv[2])
        try:
            value = r.get(timeout=float(argv[3]) if len(argv) > 3 else 20)
            print(json.dumps({"state": r.state, "result": value}))
        except Exception as exc:  # the task's own exception, re-raised by Celery
            print(json.dumps({"state": r.state, "error": type(exc).__name__, "module": type(exc).__module__,
                              "args": [repr(a) if not isinstance(a, (str, int, float)) else a for a in exc.args],
                              "message": str(exc), "repr": repr(exc)}))
    elif cmd == "chord":
        header = [signature(argv[2], args=a, app=app) for a in json.loads(argv[3])]
        body = chord(header)(signature(argv[4], app=app, queue=argv[5]))
        print(body.id)
        print("ids:", body.id, *[r.id for r in body.parent.results], file=sys.stderr)
    elif cmd == "chain":
        steps = [signature(t, args=a, kwargs=k, queue=q, app=app) for t, a, k, q in json.loads(argv[2])]
        last = chain(*steps).apply_async()
        print(last.id)
        ids, r = [], last
        while r is not None:
            ids.append(r.id)
            r = r.parent
        print("ids:", *ids, file=sys.stderr)
    elif cmd == "group_save":
        res = group(signature(argv[2], args=a, queue=argv[4], app=app) for a in json.loads(argv[3])).apply_async()
        res.save()
        print(res.id)
    elif cmd == "group_restore":
        res = app.GroupResult.restore(argv[2])
        if res is None:
            print("null")
        else:
            values = res.get(timeout=float(argv[3]) if len(argv) > 3 else 20)
            print(json.dumps({"ids": [r.id for r in res.results], "values": values}))
    elif cmd == "canvas":
        def s(task, args=(), queue="celery"):
            return signature(task, args=list(args), queue=queue, app=app)

        res = eval(argv[2], {"chain": chain, "chord": chord, "group": group, "s": s})  # test-only input
        print(res.apply_async().id)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
