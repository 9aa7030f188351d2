/**
 * A token bucket per connection: `burst` messages may arrive at once, then `perSecond` on
 * average. Kept in `conn.data`, so it ends with the connection.
 */
export interface Bucket {
  tokens: number;
  at: number;
}

export interface Rate {
  perSecond: number;
  burst: number;
}

export function fullBucket(rate: Rate, now: number): Bucket {
  return { tokens: rate.burst, at: now };
}

/** Takes one token if there is one; `false` means the sender is over the rate. */
export function take(bucket: Bucket, rate: Rate, now: number): boolean {
  bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) * rate.perSecond) / 1000);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
