/**
 * In-child instruments of a process under test: CPU time and RSS (its peak over the measured
 * pass, sampled every 50 ms), and the V8 CPU profiler through node:inspector, so a profile
 * covers the measured pass only — not start-up, schema compilation or warm-up.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { Work } from '../roles/listen';
import type { ProcessStats } from './protocol';

const RSS_SAMPLE_MS = 50;
const SAMPLING_INTERVAL_US = 500;

export class Probe {
  private windowPeak = 0;
  private sampler: NodeJS.Timeout | undefined;
  private session: Session | undefined;

  constructor(private readonly work?: () => Work) {}

  startWindow(): void {
    this.windowPeak = process.memoryUsage.rss();
    this.sampler ??= setInterval(() => this.sample(), RSS_SAMPLE_MS).unref();
  }

  stats(): ProcessStats {
    this.sample();
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    const w = this.work?.() ?? { done: 0, failed: 0, failureSamples: [] };
    return {
      cpuUs: cpu.user + cpu.system,
      preemptions: usage.involuntaryContextSwitches,
      maxRssBytes: usage.maxRSS * 1024,
      windowPeakRssBytes: this.windowPeak,
      workDone: w.done,
      workFailed: w.failed,
      workFailureSamples: w.failureSamples,
    };
  }

  async profileStart(): Promise<void> {
    this.session = new Session();
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await this.post('Profiler.start');
  }

  async profileStop(file: string): Promise<void> {
    const { profile } = (await this.post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    this.session?.disconnect();
    this.session = undefined;
  }

  private sample(): void {
    this.windowPeak = Math.max(this.windowPeak, process.memoryUsage.rss());
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session!.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  }
}
