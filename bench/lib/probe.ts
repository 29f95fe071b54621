/**
 * In-child instruments of a process under test: CPU time and RSS (its peak over the measured
 * pass, sampled every 50 ms), and the V8 CPU profiler through node:inspector, so a profile
 * covers the measured pass only — not start-up, schema compilation or warm-up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { Work } from '../roles/listen';
import type { ProcessStats } from './protocol';

const RSS_SAMPLE_MS = 50;
/** Linux clock ticks per second (getconf CLK_TCK; 100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

interface ProcStats {
  cpuUs: number;
  rssBytes: number;
  maxRssBytes: number;
  preemptions: number;
}

/** Another process's CPU time (10 ms resolution), RSS, peak RSS and preemptions, from /proc; zeros once it is gone. */
function procStats(pid: number): ProcStats {
  try {
    // utime and stime: fields 14 and 15, counted after the parenthesised command name
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return {
      cpuUs: ((Number(f[11]) + Number(f[12])) * 1e6) / CLOCK_TICKS,
      rssBytes: kb('VmRSS') * 1024,
      maxRssBytes: kb('VmHWM') * 1024,
      preemptions: kb('nonvoluntary_ctxt_switches'),
    };
  } catch {
    return { cpuUs: 0, rssBytes: 0, maxRssBytes: 0, preemptions: 0 };
  }
}
const SAMPLING_INTERVAL_US = 500;

export class Probe {
  private windowPeak = 0;
  private sampler: NodeJS.Timeout | undefined;
  private session: Session | undefined;

  constructor(
    private readonly work?: () => Work,
    /** Other processes of the one under test (cluster workers), counted with it. */
    private readonly pids: () => number[] = () => [],
  ) {}

  startWindow(): void {
    this.windowPeak = process.memoryUsage.rss();
    this.sampler ??= setInterval(() => this.sample(), RSS_SAMPLE_MS).unref();
  }

  stats(): ProcessStats {
    this.sample();
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    const w = this.work?.() ?? { done: 0, failed: 0, failureSamples: [] };
    const others = this.pids().map(procStats);
    const sum = (f: (p: ProcStats) => number) => others.reduce((n, p) => n + f(p), 0);
    return {
      cpuUs: cpu.user + cpu.system + sum((p) => p.cpuUs),
      preemptions: usage.involuntaryContextSwitches + sum((p) => p.preemptions),
      // the kernel's high-water marks (ru_maxrss, VmHWM) are updated lazily and can trail an RSS
      // just sampled: a lifetime peak is never below what was observed
      maxRssBytes: Math.max(usage.maxRSS * 1024 + sum((p) => p.maxRssBytes), this.windowPeak),
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
    const others = this.pids().reduce((n, pid) => n + procStats(pid).rssBytes, 0);
    this.windowPeak = Math.max(this.windowPeak, process.memoryUsage.rss() + others);
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session!.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  }
}
