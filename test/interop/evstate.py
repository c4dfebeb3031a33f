"""Follow Celery's events with celery.events.state.State until worker HOST has finished a task.

Prints ``seen`` once HOST appears (its heartbeat arrived: the receiver is subscribed), then one
JSON line with the worker's state and its finished tasks, and exits.
"""
import json
import sys

from pyapp import app

host = sys.argv[1]
state = app.events.State()
announced = False

with app.connection_for_read() as conn:
    recv = app.events.Receiver(conn, handlers={"*": state.event})
    for _ in recv.itercapture(limit=None, timeout=60, wakeup=False):
        worker = state.workers.get(host)
        if worker is None:
            continue
        if not announced:
            print("seen", flush=True)
            announced = True
        done = [t for t in state.tasks.values() if t.worker is worker and t.state == "SUCCESS"]
        if done:
            print(json.dumps({
                "hostname": worker.hostname, "alive": worker.alive, "sw_ident": worker.sw_ident,
                "freq": worker.freq, "processed": worker.processed,
                "tasks": [{"uuid": t.uuid, "name": t.name, "state": t.state, "result": t.result, "args": t.args} for t in done],
            }), flush=True)
            break
