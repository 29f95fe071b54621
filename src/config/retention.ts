const DAY_MS = 86_400_000;

/** How long finished idempotency records are kept: they outlive every partner's retry horizon by far. */
export function idempotencyRetentionMs(journal: { max_age_days: number }): number {
  return Math.max(journal.max_age_days, 7) * DAY_MS;
}
