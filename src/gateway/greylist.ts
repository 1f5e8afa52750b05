/**
 * Temporary blocking of slowly responding endpoints (Industrial IoT Gateway docs): a response slower than the threshold greylists
 * its endpoint for a while. Mode `report` (the seed's current behaviour) only logs and counts; mode `block`
 * answers 503 while greylisted and the instance's connections are above the load share of the cap.
 */
import type { SlowMode } from '../core/config.js';

export interface GreylistEntry {
  endpoint: string;
  tenant: string;
  until: number;
  slowResponses: number;
  blockedRequests: number;
  reportedRequests: number;
}

export class Greylist {
  private readonly entries = new Map<string, GreylistEntry>();

  constructor(private readonly options: { slowMs: number; greylistMs: number; mode: SlowMode; loadPercent: number; maxConnections: number }) {}

  /** Records a response time; returns true when it greylisted the endpoint. */
  record(tenant: string, endpoint: string, ms: number): boolean {
    if (ms <= this.options.slowMs) return false;
    const e = this.entry(tenant, endpoint);
    e.slowResponses++;
    e.until = Date.now() + this.options.greylistMs;
    return true;
  }

  /** 'block' when the request must be refused, 'report' when it passes while greylisted, 'pass' otherwise. */
  check(tenant: string, endpoint: string, connections: number): 'pass' | 'report' | 'block' {
    const e = this.entries.get(`${tenant}\n${endpoint}`);
    if (!e || e.until <= Date.now()) return 'pass';
    const loaded = connections * 100 > this.options.maxConnections * this.options.loadPercent;
    if (this.options.mode === 'block' && loaded) {
      e.blockedRequests++;
      return 'block';
    }
    e.reportedRequests++;
    return 'report';
  }

  list(tenant: string): GreylistEntry[] {
    const now = Date.now();
    return [...this.entries.values()].filter((e) => e.tenant === tenant && e.until > now);
  }

  private entry(tenant: string, endpoint: string): GreylistEntry {
    const key = `${tenant}\n${endpoint}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { endpoint, tenant, until: 0, slowResponses: 0, blockedRequests: 0, reportedRequests: 0 };
      this.entries.set(key, e);
    }
    return e;
  }
}
