"""Python Celery 5.2 on RabbitMQ (pyamqp://) for test/interop/amqp.test.ts, results in Redis.

Queue names come from the environment so each run has its own: CELERIAC_QUEUE is the default
queue (celeriac's worker consumes it), PY_QUEUE the Python worker's.

Usage: amqp_py.py send <task> <json args> [<json kwargs>]            → prints the task id
       amqp_py.py send_to <queue> <task> <json args>                 → the same on a queue, expires in 600 s
       amqp_py.py get <task id> [timeout]                            → prints JSON {state, result|error}
       amqp_py.py chain <json list of [task, args, kwargs, queue]>   → prints the last step's id
       amqp_py.py chord <header task> <json list of args> <body task> <body queue>  → prints the body id
"""
import json
import os
import sys

from celery import Celery, chain, chord, signature

app = Celery("amqp_py", broker=os.environ["BROKER_URL"], backend=os.environ["BACKEND_URL"])
app.conf.task_default_queue = os.environ["CELERIAC_QUEUE"]
app.conf.result_expires = 600
app.conf.worker_hijack_root_logger = False


@app.task(name="py.add")
def add(a, b):
    return a + b


@app.task(name="py.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="py.xsum")
def xsum(values):
    return sum(values)


def main(argv):
    cmd = argv[1]
    if cmd == "send":
        kwargs = json.loads(argv[4]) if len(argv) > 4 else {}
        print(app.send_task(argv[2], args=json.loads(argv[3]), kwargs=kwargs).id)
    elif cmd == "send_to":
        print(app.send_task(argv[3], args=json.loads(argv[4]), queue=argv[2], expires=600).id)
    elif cmd == "get":
        r = app.AsyncResult(argv[2])
        try:
            print(json.dumps({"state": "SUCCESS", "result": r.get(timeout=float(argv[3]) if len(argv) > 3 else 20)}))
        except Exception as exc:
            print(json.dumps({"state": r.state, "error": type(exc).__name__, "message": str(exc)}))
    elif cmd == "chain":
        steps = [signature(t, args=a, kwargs=k, queue=q, app=app) for t, a, k, q in json.loads(argv[2])]
        print(chain(*steps).apply_async().id)
    elif cmd == "chord":
        header = [signature(argv[2], args=a, app=app) for a in json.loads(argv[3])]
        print(chord(header)(signature(argv[4], app=app, queue=argv[5])).id)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
