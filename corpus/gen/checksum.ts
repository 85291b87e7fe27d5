// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
// big-endian words, odd byte padded with zero. TCP, UDP and ICMPv6 also sum a pseudo-header
// (RFC 793 / RFC 768 for IPv4, RFC 8200 §8.1 for IPv6).

/** Ones' complement sum of `data` (not yet folded or complemented), added to `initial`. */
export function onesSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length & 1) sum += data[data.length - 1]! << 8;
  return sum;
}

export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

export function checksum(data: Uint8Array, initial = 0): number {
  return ~fold(onesSum(data, initial)) & 0xffff;
}

/** Pseudo-header sum for TCP/UDP over IPv4: src, dst, zero, protocol, length. */
export function pseudoSum4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return onesSum(src) + onesSum(dst) + protocol + length;
}

/** Pseudo-header sum for upper layers over IPv6: src, dst, 32-bit length, next header. */
export function pseudoSum6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  return onesSum(src) + onesSum(dst) + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}
