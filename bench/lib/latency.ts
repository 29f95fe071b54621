/** Exact latency percentiles from every response time (autocannon's own histogram has 1 ms steps). */

export class Latencies {
  private values = new Float64Array(1 << 16);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = ms;
  }

  /** The q-quantile (0 < q < 1) in ms; NaN with no values. */
  percentiles(...qs: number[]): number[] {
    const sorted = this.values.slice(0, this.n).sort();
    return qs.map((q) => (this.n === 0 ? NaN : sorted[Math.min(this.n - 1, Math.floor(q * this.n))]));
  }
}
