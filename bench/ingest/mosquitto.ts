/**
 * The bench's own mosquitto (bench/ingest phases 2 and 4): started on a free loopback port with a temporary
 * configuration, so the run depends neither on the machine's broker nor on its defaults. mosquitto's defaults
 * (max_queued_messages 1000, max_inflight_messages 20) drop QoS 1 messages for a subscriber that falls behind
 * after acknowledging them to the publisher; the bench raises both (flags --mosquitto-max-queued,
 * --mosquitto-max-inflight) and reads mosquitto's own count of dropped messages ($SYS, published every second).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { freePort } from '../timeseries-shared.js';

export interface OwnMosquitto {
  url: string;
  pid: number;
  version: string;
  config: { maxQueued: number; maxInflight: number };
  /** mosquitto's $SYS/broker/publish/messages/dropped (the messages it dropped since it started). */
  dropped(): Promise<number>;
  stop(): Promise<void>;
}

/** Whether a mosquitto binary is on the PATH (or in /usr/sbin, where Debian puts it). */
export function mosquittoBinary(): string | undefined {
  for (const bin of ['mosquitto', '/usr/sbin/mosquitto']) {
    if (spawnSync(bin, ['-h']).error === undefined) return bin;
  }
  return undefined;
}

export async function startMosquitto(bin: string, dir: string, maxQueued: number, maxInflight: number): Promise<OwnMosquitto> {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none',
    `max_queued_messages ${maxQueued}`, 'max_queued_bytes 0', `max_inflight_messages ${maxInflight}`, 'sys_interval 1', ''].join('\n'));
  const version = /mosquitto version (\S+)/.exec(spawnSync(bin, ['-h']).stdout.toString())?.[1] ?? '?';
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.once('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const url = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await (await connectAsync(url, { protocolVersion: 4, connectTimeout: 1000, reconnectPeriod: 0 })).endAsync();
      break;
    } catch {
      if (i === 50 || child.exitCode !== null) throw new Error(`mosquitto did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url, pid: child.pid!, version, config: { maxQueued, maxInflight },
    async dropped() {
      const c = await connectAsync(url, { protocolVersion: 4 });
      try {
        const got = new Promise<number>((resolve) => c.on('message', (_t, p) => resolve(Number(p.toString()))));
        await c.subscribeAsync('$SYS/broker/publish/messages/dropped');
        return await Promise.race([got, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 10_000))]);
      } finally {
        await c.endAsync();
      }
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
