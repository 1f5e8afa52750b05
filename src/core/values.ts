/**
 * Variable values: the bounds and lengths of the Insights Hub data types (Asset Management API v3, "Aspect
 * types"; IoT Time Series API v3), shared by static values (strings on the wire) and time series records (JSON
 * values). Each rule function returns the rule a value breaks, or undefined.
 */
import type { VariableDataType } from './model.js';
import { parseInstant } from './instant.js';

export const INT_MIN = -2_147_483_648;
export const INT_MAX = 2_147_483_647;
/** LONG as stored: 64 bits (static values are strings, so the whole range is representable). */
export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;
/** Default and largest length of STRING and BIG_STRING variables. */
export const STRING_MAX = 255;
export const BIG_STRING_MAX = 100_000;

export function maxLength(dataType: 'STRING' | 'BIG_STRING', length: number | null): number {
  return length ?? (dataType === 'STRING' ? STRING_MAX : BIG_STRING_MAX);
}

function lengthRule(dataType: 'STRING' | 'BIG_STRING', value: string, length: number | null): string | undefined {
  const max = maxLength(dataType, length);
  return value.length <= max ? undefined
    : `is ${value.length} characters long; at most ${max} are allowed (${dataType}, no longer than ${max})`;
}

/** A value in its string form (static aspect values and defaults, Asset Management). */
export function stringValueRule(dataType: VariableDataType, value: string, length: number | null): string | undefined {
  switch (dataType) {
    case 'BOOLEAN':
      return value === 'true' || value === 'false' ? undefined : 'must be "true" or "false" for BOOLEAN';
    case 'INT': {
      if (!/^[+-]?\d+$/.test(value)) return 'must be a whole number for INT';
      const n = Number(value);
      return n >= INT_MIN && n <= INT_MAX ? undefined : `must be within ${INT_MIN}..${INT_MAX} for INT`;
    }
    case 'LONG': {
      if (!/^[+-]?\d+$/.test(value)) return 'must be a whole number for LONG';
      const n = BigInt(value);
      return n >= LONG_MIN && n <= LONG_MAX ? undefined : 'must fit in 64 bits for LONG';
    }
    case 'DOUBLE':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) && Number.isFinite(Number(value))
        ? undefined : 'must be a finite decimal number for DOUBLE';
    case 'STRING': case 'BIG_STRING':
      return lengthRule(dataType, value, length);
    case 'TIMESTAMP':
      return typeof parseInstant(value, 'filter') === 'number' ? undefined
        : 'must be an ISO-8601 timestamp like 2018-01-01T00:00:00.000Z';
  }
}

/**
 * A value as JSON (time series records). LONG is bounded by JSON numbers: ±(2^53-1), beyond which a JSON
 * number does not round-trip.
 */
export function jsonValueRule(dataType: VariableDataType, value: unknown, length: number | null): string | undefined {
  switch (dataType) {
    case 'DOUBLE':
      return typeof value === 'number' ? undefined : 'must be a number (DOUBLE)';
    case 'INT':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX ? undefined
        : `must be a whole number between ${INT_MIN} and ${INT_MAX} (INT)`;
    case 'LONG':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined
        : 'must be a whole number between -(2^53-1) and 2^53-1 (LONG)';
    case 'BOOLEAN':
      return typeof value === 'boolean' ? undefined : 'must be true or false (BOOLEAN)';
    case 'STRING': case 'BIG_STRING':
      if (typeof value !== 'string') return `must be a string (${dataType})`;
      return lengthRule(dataType, value, length);
    case 'TIMESTAMP': {
      const t = parseInstant(value);
      return typeof t === 'number' ? undefined : `${t} (TIMESTAMP)`;
    }
  }
}
