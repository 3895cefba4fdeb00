/**
 * Request keys and text hashes are hex digests. Since schema 8 they are stored as their bytes
 * (a BLOB of half the length, and half the index); rows written before hold the hex text, and
 * both read back as the same hex string.
 */

const HEX = /^(?:[0-9a-f]{2}){1,64}$/;

/** The bytes of a lowercase hex digest; any other text as it is (it cannot be packed without loss). */
export function packHex(value: string): Buffer | string {
  return HEX.test(value) ? Buffer.from(value, 'hex') : value;
}

export function unpackHex(stored: unknown): string {
  return Buffer.isBuffer(stored) ? stored.toString('hex') : (stored as string);
}

/** A list of equal-length digests as one BLOB of their bytes; anything else as JSON text. */
export function packHexList(values: readonly string[]): Buffer | string {
  const width = values[0]?.length ?? 0;
  if (values.length > 0 && values.every((v) => v.length === width && HEX.test(v)))
    return Buffer.concat([Buffer.from([width / 2]), ...values.map((v) => Buffer.from(v, 'hex'))]);
  return JSON.stringify(values);
}

export function unpackHexList(stored: unknown): string[] {
  if (!Buffer.isBuffer(stored)) return JSON.parse(stored as string) as string[];
  const width = stored[0]!;
  const out: string[] = [];
  for (let at = 1; at + width <= stored.length; at += width)
    out.push(stored.subarray(at, at + width).toString('hex'));
  return out;
}
