/**
 * Collection pacing for streamed uploads (issue 15: a fresh server's first large upload grows its resident memory
 * by less than 64 MB). A socket's chunks are ArrayBuffers outside the V8 heap; once SlabFill has copied one into a
 * slab it is garbage, but its few JS objects barely fill the young generation, so V8 frees the chunks only when its
 * external-memory trigger fires, some 64 MB of them later. On Node 24 the first 256 MB upload of a server grew its
 * RSS by 85-95 MB that way (Node 20: 40-50 MB), whatever the route. A minor collection (a scavenge of a young
 * generation that holds little but those chunks) after every `every` bytes copied frees them, so the footprint of
 * an upload is set by this pace, not by V8's trigger: with 8 MB, 26-45 MB on Node 24 (test/datalake/first-upload).
 *
 * The collector comes from V8's --expose-gc, set at run time and read from a fresh context (the way jest's leak
 * detector gets it); where V8 refuses, or with the setting at 0, pacing is off and nothing else changes.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

type Collect = (options: { type: 'minor'; execution: 'sync' }) => void;

let every = 0;
let seen = 0;
let collect: Collect | undefined;

function collector(): Collect | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc as unknown as Collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? gc as Collect : undefined;
  } catch {
    return undefined;
  }
}

/** Sets the pace (the gcPacingBytes setting); 0 turns pacing off. */
export function configurePacing(bytes: number): void {
  every = bytes;
  seen = 0;
  if (every > 0) collect ??= collector();
}

/** Counts `bytes` of an upload copied out of its socket chunks; runs a minor collection each time the pace is reached. */
export function paced(bytes: number): void {
  if (every === 0) return;
  seen += bytes;
  if (seen < every) return;
  seen = 0;
  collect?.({ type: 'minor', execution: 'sync' });
}
