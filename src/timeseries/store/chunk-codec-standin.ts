/**
 * Temporary JSON stand-in for the columnar chunk codec (chunk-codec.ts, branch ts-codec), same interface; removed
 * once the real codec is merged. Layout: UTF-8 JSON `[[t, values], ...]`.
 */
export interface ChunkRecord { t: number; values: Readonly<Record<string, unknown>> }

export function encodeChunk(records: readonly ChunkRecord[]): Buffer {
  return Buffer.from(JSON.stringify(records.map((r) => [r.t, r.values])));
}

export function decodeChunk(buf: Buffer): ChunkRecord[] {
  return (JSON.parse(buf.toString()) as [number, Record<string, unknown>][]).map(([t, values]) => ({ t, values }));
}

export function chunkInfo(buf: Buffer): { n: number; lo: number; hi: number } {
  const r = decodeChunk(buf);
  return { n: r.length, lo: r[0]!.t, hi: r[r.length - 1]!.t };
}

export function chunkTimes(buf: Buffer): number[] {
  return decodeChunk(buf).map((r) => r.t);
}

function text(t: number, values: Readonly<Record<string, unknown>>): string {
  let s = `{"_time":"${new Date(t).toISOString()}"`;
  for (const k in values) {
    const v = values[k];
    if (v === undefined || v === null) continue;
    s += `,${JSON.stringify(k)}:${typeof v === 'number' ? String(v) : JSON.stringify(v)}`;
  }
  return `${s}}`;
}

export function chunkText(buf: Buffer, from: number, to: number, limit: number, desc: boolean): string[] {
  const recs = decodeChunk(buf).filter((r) => r.t > from && r.t <= to);
  if (desc) recs.reverse();
  return recs.slice(0, limit).map((r) => text(r.t, r.values));
}
