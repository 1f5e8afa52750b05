/**
 * Group commit for a synchronous store (issue 17, "Group commit and a lean hot path"): writes submitted while a
 * commit is pending join it, so concurrent writers share one transaction and one fsync. The shared commit runs on
 * the next turn of the event loop (or after a bounded delay), or at once when the queued size reaches its bound.
 * Each submitter learns its own outcome only after the commit has returned: an acknowledged write is committed.
 */
import { counter } from '../../core/metrics.js';

const commits = counter('ironbridge_timeseries_group_commits_total', 'Shared time series write transactions (group commits) run');
const committedWrites = counter('ironbridge_timeseries_group_commit_writes_total',
  'Time series writes submitted to shared transactions; divided by the commits, the writes per commit');

/** What a commit of a batch reports: the error of each item that failed alone (the others committed). */
export type BatchCommit<T> = (items: readonly T[]) => ReadonlyMap<number, unknown>;

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  /**
   * @param commit stores the batch in one transaction; throws when nothing of it was stored
   * @param delayMs longest wait for others to join; 0 = the next turn of the event loop
   * @param maxSize queued size that starts the commit at once
   */
  constructor(private readonly commit: BatchCommit<T>, private readonly delayMs: number, private readonly maxSize: number) {}

  get pending(): boolean {
    return this.queue.length > 0;
  }

  submit(item: T, size: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.size += size;
      if (this.size >= this.maxSize) this.flush();
      else if (this.timer === undefined) {
        this.timer = this.delayMs > 0 ? setTimeout(() => this.flush(), this.delayMs) : setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (also before another write of the store, so writes keep their order). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    const batch = this.queue;
    this.queue = [];
    this.size = 0;
    if (batch.length === 0) return;
    let failed: ReadonlyMap<number, unknown>;
    commits.inc();
    committedWrites.inc(batch.length);
    try {
      failed = this.commit(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      if (failed.has(i)) p.reject(failed.get(i));
      else p.resolve();
    });
  }
}
