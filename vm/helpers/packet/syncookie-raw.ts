// bpf_tcp_raw_gen_syncookie_ipv4 (204) / _ipv6 (205) and bpf_tcp_raw_check_syncookie_ipv4 (206) /
// _ipv6 (207), for xdp and tc programs (net/core/filter.c; net/ipv4/syncookies.c,
// net/ipv6/syncookies.c): SYN cookies made and checked from the IP and TCP headers alone, with
// no listener — what an XDP SYN proxy answers a SYN with, and checks the ACK against.
//
//   gen(iph, th, th_len): th_len < 20 or != th->doff * 4 → -EINVAL; else the MSS is the SYN's MSS
//     option (tcp_parse_mss_option), or 536 (IPv4) / 1220 (IPv6) without one, rounded down to the
//     cookie's MSS table, and the result is cookie | (MSS << 32).
//   check(iph, th): the cookie is ack_seq - 1 and must have been made for this 4-tuple and
//     seq - 1 within the last two minutes (MAX_SYNCOOKIE_AGE); 0 if so, else -EACCES.
//
// The cookie's layout is the kernel's (secure_tcp_syn_cookie / check_tcp_syn_cookie): a keyed
// hash of the 4-tuple plus the client's sequence number, plus (minutes << 24), plus, in the low
// 24 bits, a second keyed hash (of the 4-tuple and the minute) plus the MSS table index. The hash
// is ours, keyed by the machine's secret (the kernel's siphash keys are random per boot, so no
// cookie of ours could equal one of the kernel's; the MSS half does). Every CPU of a machine
// shares the secret, so a cookie made on one checks on another.

import { jiffies, CONFIG_HZ } from "../time.js";
import type { HelperDef } from "../registry.js";
import { memOf, u32, type Mem } from "./memory.js";
import { EACCES, EINVAL, errno } from "./uapi.js";

/** The default secret: fixed, so that machines (and the CPUs of a pool) agree. Set it for cookies nobody can predict. */
export const SYNCOOKIE_SECRET: readonly number[] = [0x5ca1ab1e, 0x0ddba11, 0xfacade, 0xc0ffee];

const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** MAX_SYNCOOKIE_AGE: a cookie is good in the minute it was made and the next. */
const MAX_AGE = 2;
/** TCP_SYNCOOKIE_PERIOD: the cookie's clock ticks once a minute. */
const PERIOD = BigInt(60 * CONFIG_HZ);
const TCPHDR = 20;

/** Each family's MSS table (msstab) and the MSS of a SYN without the option. */
interface Family {
  readonly name: "ipv4" | "ipv6";
  readonly iphLen: number;
  /** Address words of the header: source at saddr, destination at saddr + 4 * words. */
  readonly saddr: number;
  readonly words: number;
  readonly msstab: readonly number[];
  readonly defaultMss: number;
}

/** net/ipv4/syncookies.c msstab; TCP_MSS_DEFAULT. */
const V4: Family = { name: "ipv4", iphLen: 20, saddr: 12, words: 1, msstab: [536, 1300, 1440, 1460], defaultMss: 536 };
/** net/ipv6/syncookies.c msstab; IPV6_MIN_MTU - 60. */
const V6: Family = { name: "ipv6", iphLen: 40, saddr: 8, words: 4, msstab: [1220, 1420, 1440, 8940], defaultMss: 1220 };

/** A keyed 32-bit hash of the 4-tuple and the minute (the kernel's cookie_hash, with our mixing). */
function cookieHash(secret: readonly number[], mem: Mem, fam: Family, iph: number, th: number, count: number, c: 0 | 1): number {
  let h = secret[c * 2]! ^ Math.imul(count, 0x9e3779b1);
  const mix = (w: number): void => {
    h = Math.imul(h ^ w, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ secret[c * 2 + 1]!;
  };
  for (let i = 0; i < 2 * fam.words; i++) mix(mem.u32(iph + fam.saddr + 4 * i));
  mix(mem.u32(th)); // source and destination ports
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** tcp_cookie_time(): minutes since boot (of the jiffies clock), as a u32. */
const cookieTime = (): number => Number((jiffies() / PERIOD) & 0xffffffffn);

const be32 = (mem: Mem, addr: number): number => mem.view.getUint32(addr, false);

/** tcp_parse_mss_option(th, 0): the SYN's MSS option, 0 if none (options end at a bad length). */
function parseMss(mem: Mem, th: number): number {
  let p = th + TCPHDR;
  let length = (mem.bytes[th + 12]! >> 4) * 4 - TCPHDR;
  let mss = 0;
  while (length > 0) {
    const kind = mem.bytes[p++]!;
    if (kind === 0) return mss; // TCPOPT_EOL
    if (kind === 1) { // TCPOPT_NOP
      length--;
      continue;
    }
    if (length < 2) return mss;
    const size = mem.bytes[p++]!;
    if (size < 2 || size > length) return mss; // "silly options", partial options
    if (kind === 2 && size === 4) { // TCPOPT_MSS, TCPOLEN_MSS
      const value = mem.view.getUint16(p, false);
      if (value !== 0) mss = value;
    }
    p += size - 2;
    length -= size;
  }
  return mss;
}

function gen(secret: readonly number[], fam: Family, mem: Mem, iph: number, th: number, thLen: number): bigint {
  if (thLen < TCPHDR || thLen !== (mem.bytes[th + 12]! >> 4) * 4) return errno(EINVAL);
  const wanted = parseMss(mem, th) || fam.defaultMss;
  // The largest table entry not above the SYN's MSS (the first, if all are).
  let index = fam.msstab.length - 1;
  while (index > 0 && wanted < fam.msstab[index]!) index--;
  const count = cookieTime();
  const seq = be32(mem, th + 4);
  const cookie = cookieHash(secret, mem, fam, iph, th, 0, 0) + seq + (count << COOKIEBITS) +
    ((cookieHash(secret, mem, fam, iph, th, count, 1) + index) & COOKIEMASK);
  return BigInt(cookie >>> 0) | (BigInt(fam.msstab[index]!) << 32n);
}

function check(secret: readonly number[], fam: Family, mem: Mem, iph: number, th: number): bigint {
  const seq = (be32(mem, th + 4) - 1) >>> 0;
  let cookie = (be32(mem, th + 8) - 1 - cookieHash(secret, mem, fam, iph, th, 0, 0) - seq) >>> 0;
  const count = cookieTime();
  const age = (count - (cookie >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (age >= MAX_AGE) return errno(EACCES);
  cookie = (cookie - cookieHash(secret, mem, fam, iph, th, (count - age) >>> 0, 1)) & COOKIEMASK;
  return cookie < fam.msstab.length ? 0n : errno(EACCES);
}

/** The four raw syncookie helpers (xdp_func_proto, tc_cls_act_func_proto); `secret`: four u32 words. */
export function rawSyncookieHelpers(secret: readonly number[] = SYNCOOKIE_SECRET): HelperDef[] {
  if (secret.length !== 4) throw new RangeError(`a syncookie secret is 4 u32 words, got ${secret.length}`);
  const genDef = (id: number, fam: Family): HelperDef => {
    const name = `tcp_raw_gen_syncookie_${fam.name}`;
    return {
      id,
      name,
      // ARG_PTR_TO_FIXED_SIZE_MEM (the IP header), ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO.
      args: ["ptr_to_fixed_size_mem", "ptr_to_mem", "const_size_or_zero"],
      argSizes: [fam.iphLen],
      ret: "integer",
      impl: (ctx, iph, th, thLen) => {
        const mem = memOf(ctx.memory);
        const len = u32(thLen);
        return gen(secret, fam, mem, mem.span(name, "iph", iph, fam.iphLen), mem.span(name, "th", th, len), len);
      },
    };
  };
  const checkDef = (id: number, fam: Family): HelperDef => {
    const name = `tcp_raw_check_syncookie_${fam.name}`;
    return {
      id,
      name,
      // ARG_PTR_TO_FIXED_SIZE_MEM twice: the IP header and struct tcphdr.
      args: ["ptr_to_fixed_size_mem", "ptr_to_fixed_size_mem"],
      argSizes: [fam.iphLen, TCPHDR],
      ret: "integer",
      impl: (ctx, iph, th) => {
        const mem = memOf(ctx.memory);
        return check(secret, fam, mem, mem.span(name, "iph", iph, fam.iphLen), mem.span(name, "th", th, TCPHDR));
      },
    };
  };
  return [genDef(204, V4), genDef(205, V6), checkDef(206, V4), checkDef(207, V6)];
}
