// Addresses of the network model (model.ts): IPv4 as a u32 number, IPv6 as a 128-bit bigint,
// both in network order read as one integer (10.1.0.2 = 0x0a010002), so a prefix test is a
// shift; MACs as 6 bytes. Parsing is strict: a bad address is a BpfError naming it, since the
// model is user input.

import { BpfError } from "../errors.js";

export type Family = 4 | 6;

/** An address of either family, with the family it was written in. */
export interface IpAddr {
  readonly family: Family;
  /** IPv4: 0..2^32-1; IPv6: 0..2^128-1. */
  readonly value: bigint;
}

/** An address with a prefix length ("10.1.0.0/16", "2001:db8::/32"). */
export interface IpPrefix extends IpAddr {
  readonly plen: number;
}

export const bits = (family: Family): number => (family === 4 ? 32 : 128);

function parse4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parse6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split("::").length > 2) return undefined;
  const [head, tail] = text.includes("::") ? text.split("::") as [string, string] : [text, undefined];
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  let value = 0n;
  for (const g of [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(`0x${g}`);
  }
  return value;
}

/** "10.1.0.2" or "2001:db8::2"; `what` names it in the error. */
export function parseIp(text: string, what: string): IpAddr {
  const v4 = parse4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parse6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  throw new BpfError(`${what}: '${text}' is not an IPv4 or IPv6 address`);
}

/** "10.1.0.0/16"; without "/n" the whole address (/32, /128). */
export function parsePrefix(text: string, what: string): IpPrefix {
  const [addr, len, extra] = text.split("/");
  if (extra !== undefined || addr === undefined) throw new BpfError(`${what}: '${text}' is not a prefix`);
  const ip = parseIp(addr, what);
  const plen = len === undefined ? bits(ip.family) : Number(len);
  if (!/^\d+$/.test(len ?? "0") || plen > bits(ip.family)) throw new BpfError(`${what}: '${text}' has a bad prefix length`);
  return { ...ip, plen };
}

/** The mask of a prefix length, as an integer of the family's width. */
export function mask(family: Family, plen: number): bigint {
  const width = BigInt(bits(family));
  return plen === 0 ? 0n : ((1n << BigInt(plen)) - 1n) << (width - BigInt(plen));
}

/** Is `addr` inside `prefix` (same family)? */
export const inPrefix = (prefix: IpPrefix, addr: bigint): boolean => (addr & mask(prefix.family, prefix.plen)) === (prefix.value & mask(prefix.family, prefix.plen));

/** "02:00:00:00:00:10" → 6 bytes. */
export function parseMac(text: string, what: string): Uint8Array {
  const parts = text.split(":");
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) throw new BpfError(`${what}: '${text}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Leading bits two addresses share (RFC 6724 CommonPrefixLen). */
export function commonPrefixLen(family: Family, a: bigint, b: bigint): number {
  const width = bits(family);
  let x = a ^ b;
  let n = width;
  while (x !== 0n) {
    x >>= 1n;
    n--;
  }
  return n;
}
