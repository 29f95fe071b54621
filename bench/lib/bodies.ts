/**
 * Pre-signed Tencent messages, each with its own nonce and ids, because couponbridge refuses a
 * reused nonce and autocannon would otherwise resend one body. Signing costs ~30 µs, so messages
 * are signed between passes (ensure) rather than on the load generator's core during one; a pass
 * that outruns the pool signs on the fly, and the report shows how many were.
 */
import { signedMessage, type Message } from './fixture';

export class SignedBodies {
  private ready: string[] = [];
  private head = 0;
  private made = 0;
  /** Messages signed during a pass because the pool ran dry. */
  signedLate = 0;

  constructor(private readonly kind: Message) {}

  /** Signs messages until at least n unused ones are ready. */
  ensure(n: number): void {
    if (this.head > 0) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    while (this.ready.length < n) this.ready.push(signedMessage(this.kind, this.made++));
  }

  readonly take = (): string => {
    if (this.head < this.ready.length) return this.ready[this.head++];
    this.signedLate++;
    return signedMessage(this.kind, this.made++);
  };
}
