/** A payload as the JSON text stored in Redis, refused when over the client's size limit. */
import { DroverError } from '../../errors.js';
import { toJson } from './reply.js';

/**
 * JSON text of `payload` (undefined becomes null). Throws INVALID_INPUT for what JSON cannot
 * hold (a BigInt, a cycle, a function) and PAYLOAD_TOO_LARGE over `maxBytes` bytes of UTF-8.
 */
export function payloadJson(payload: unknown, maxBytes: number): string {
  if (typeof payload === 'function' || typeof payload === 'symbol') {
    throw new DroverError('INVALID_INPUT', `payload: a ${typeof payload} is not JSON (JSON.stringify would drop it)`);
  }
  const text = toJson(payload, 'payload');
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: short texts skip the byte count.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new DroverError(
        'PAYLOAD_TOO_LARGE',
        `payload: ${bytes} bytes of JSON, over the limit of ${maxBytes} bytes (maxPayloadBytes); put large data in object storage and enqueue its URL, or raise the limit`,
      );
    }
  }
  return text;
}
