"""The one real Python Celery 5 app of the wire-compatibility tests (test/interop), run by
``celery -A pyapp worker`` and by pyclient.py; test/support/celery-worker.ts starts both.

Where it connects comes from the environment:
  BROKER_URL       the broker (``redis://…`` or ``pyamqp://…``)
  BACKEND_URL      the result backend (a Redis)
  CELERIAC_PREFIX  kombu's ``global_keyprefix`` on a Redis broker (the prefix the celeriac adapter uses)
  CELERIAC_QUEUE   ``task_default_queue`` (default ``celery``)
  VISIBILITY_TIMEOUT  seconds (default 3600)
Celery 5.2's Redis result backend has no prefix, so results live under their plain
``celery-task-meta-<id>`` keys (task ids are unique uuids; the tests delete them).
"""
import os
import time

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

app = Celery("pyapp", broker=os.environ["BROKER_URL"], backend=os.environ["BACKEND_URL"])
app.conf.broker_transport_options = {"visibility_timeout": int(os.environ.get("VISIBILITY_TIMEOUT", "3600"))}
if os.environ.get("CELERIAC_PREFIX"):
    app.conf.broker_transport_options["global_keyprefix"] = os.environ["CELERIAC_PREFIX"]
if os.environ.get("CELERIAC_QUEUE"):
    app.conf.task_default_queue = os.environ["CELERIAC_QUEUE"]
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


# max_retries=0: the first retry() raises MaxRetriesExceededError without sending. With one real
# retry, a prefork worker can store the first run's RETRY after the retried run's FAILURE (the
# retry is sent before RETRY is stored; seen under load), and the record stays RETRY.
@app.task(name="py.retry", bind=True, max_retries=0)
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

    return redis.Redis.from_url(os.environ["BACKEND_URL"]).incr(key)
