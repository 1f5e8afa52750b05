/**
 * Time series messages of many agents written together (issue 13, "Done when": 100,000 data points/s over MQTT):
 * the messages that arrive within one turn of the event loop are queued, and the next turn writes the messages of
 * each agent as one AgentIngest.writeTimeseries call (one lookup of its mappings, one put per series for all their
 * timestamps). All agents' calls start in that same turn, so the time series group commit stores them in one
 * transaction. Invariants:
 * - each message settles only after the commit its values are in (the transport acknowledges it then);
 * - a message is all or nothing: when the merged write of an agent is refused (a 4xx, e.g. a value of the wrong
 *   type; nothing of it was stored), that agent's messages are written again one at a time, in order, so only the
 *   bad one is refused and named by its own batch index;
 * - a message that repeats a timestamp already queued for its agent starts a new write after the first one: each
 *   message replaces the records at its timestamps (PUT semantics), the later message last, as if written alone;
 * - a failure of storage (5xx) rejects every message of the write: none is acknowledged, all come again.
 */
import type { AgentIngest, AgentPrincipal, DataPointBatch, IngestResult } from '../agents/ingest.js';
import { AppError } from '../core/errors.js';
import { counter } from '../core/metrics.js';

const writes = counter('ironbridge_mqtt_batched_writes_total', 'Time series writes of the MQTT ingestion; divided into the stored messages, the messages per write');

interface Pending {
  batches: readonly DataPointBatch[];
  resolve: (r: IngestResult) => void;
  reject: (err: unknown) => void;
}

/** Messages of one agent written in one call. */
interface Group {
  agent: AgentPrincipal;
  messages: Pending[];
  times: Set<number>;
}

export class TimeseriesBatcher {
  private queue = new Map<string, Group[]>();
  private values = 0;
  private scheduled = false;

  /** @param maxValues queued data point values that make the write start at once instead of on the next turn */
  constructor(private readonly ingest: Pick<AgentIngest, 'writeTimeseries'>, private readonly maxValues: number) {}

  /** Resolves with this message's own counts once it is committed; rejects when it is refused or storage failed. */
  submit(agent: AgentPrincipal, batches: readonly DataPointBatch[]): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      const key = `${agent.tenant}\u0000${agent.agentId}`;
      let groups = this.queue.get(key);
      if (!groups) this.queue.set(key, groups = []);
      const times = batches.map((b) => Date.parse(b.timestamp));
      let g = groups.at(-1);
      if (!g || times.some((t) => g!.times.has(t))) groups.push(g = { agent, messages: [], times: new Set() });
      for (const t of times) g.times.add(t);
      g.messages.push({ batches, resolve, reject });
      for (const b of batches) this.values += b.values.length;
      if (this.values >= this.maxValues) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Starts the writes of everything queued now. */
  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = new Map();
    this.values = 0;
    for (const groups of queue.values()) void this.writeInOrder(groups);
  }

  private async writeInOrder(groups: readonly Group[]): Promise<void> {
    for (const g of groups) await this.write(g);
  }

  private async write(g: Group): Promise<void> {
    writes.inc();
    if (g.messages.length === 1) return this.alone(g.agent, g.messages[0]!);
    let result: IngestResult;
    try {
      result = await this.ingest.writeTimeseries(g.agent, g.messages.flatMap((m) => m.batches));
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        // Refused whole, nothing stored: each message on its own, so only the bad one is refused.
        for (const m of g.messages) {
          writes.inc();
          await this.alone(g.agent, m);
        }
      } else for (const m of g.messages) m.reject(err);
      return;
    }
    let at = 0;
    for (const m of g.messages) {
      const own = result.byBatch?.slice(at, at + m.batches.length);
      at += m.batches.length;
      if (own) {
        m.resolve({ records: own.reduce((n, c) => n + c.records, 0), unmapped: own.reduce((n, c) => n + c.unmapped, 0), byBatch: own });
      } else {
        // An ingest without per-batch counts: the totals go with the first message.
        m.resolve(m === g.messages[0] ? result : { records: 0, unmapped: 0 });
      }
    }
  }

  private async alone(agent: AgentPrincipal, m: Pending): Promise<void> {
    try {
      m.resolve(await this.ingest.writeTimeseries(agent, m.batches));
    } catch (err) {
      m.reject(err);
    }
  }
}
