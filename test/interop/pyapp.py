"""A real Python Celery 5 app for the wire-compatibility tests (test/interop).

Broker keys carry kombu's ``global_keyprefix`` (the same prefix the celeriac adapter uses);
Celery 5.2's Redis result backend has no prefix, so results live under their plain
``celery-task-meta-<id>`` keys (task ids are unique uuids; the test deletes them).
"""
import os
import time

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

app = Celery("pyapp", broker=os.environ["BROKER_URL"], backend=os.environ["BACKEND_URL"])
app.conf.broker_transport_options = {
    "global_keyprefix": os.environ["CELERIAC_PREFIX"],
    "visibility_timeout": int(os.environ.get("VISIBILITY_TIMEOUT", "3600")),
}
app.conf.result_expires = 600
app.conf.worker_hijack_root_logger = False


@app.task(name="py.add")
def add(a, b):
    return a + b


@app.task(name="py.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="py.scale")
def scale(x, factor=1):
    return x * factor


@app.task(name="py.xsum")
def xsum(values):
    return sum(values)


@app.task(name="py.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="py.retry", bind=True, max_retries=1)
def retry(self):
    raise self.retry(countdown=0)


@app.task(name="py.careful")
def careful(seconds):
    try:
        time.sleep(seconds)
        return "finished"
    except SoftTimeLimitExceeded:
        return "cleaned up"


@app.task(name="py.tally")
def tally(key):
    """Count executions under `key` (how many times a message really ran)."""
    import redis

    return redis.Redis.from_url(os.environ["BROKER_URL"]).incr(key)
