/** A uuid4 string (Celery's default task id format). */
export function uuid(): string {
  return crypto.randomUUID();
}
