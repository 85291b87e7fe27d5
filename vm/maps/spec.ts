// Checks a MapSpec as the kernel's map_alloc_check functions do (arraymap.c, hashtab.c,
// lpm_trie.c, queue_stack_maps.c, ringbuf.c) and refuses what the kernel refuses, with a
// BpfError naming the map, the field and the rule.

import { BpfError } from "../errors.js";
import * as abi from "./abi.js";
import { errnoName } from "./errors.js";
import { isHash, isPerCpu, MapType, mapTypeName, parseMapType, type MapSpec } from "./types.js";

/** A checked spec: the type resolved to its number, flags defaulted. */
export interface CheckedSpec {
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/** MAX_BPF_STACK: hash keys live on a program's stack. */
const MAX_HASH_KEY = 512;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value the kernel allocates. */
const MAX_PERCPU_VALUE = 32768;
/** LPM keys: struct bpf_lpm_trie_key_u8 with 1..256 data bytes. */
const LPM_KEY_MIN = 5;
const LPM_KEY_MAX = 4 + 256;
/** Values are limited by the arena in practice; this keeps offsets inside 32 bits. */
const MAX_VALUE = 1 << 30;

const U32_MAX = 0xffffffff;

/** Creation flags each type accepts here (a subset of the kernel's *_CREATE_FLAG_MASK). */
function allowedFlags(type: MapType): number {
  switch (type) {
    case MapType.Hash:
    case MapType.PerCpuHash:
      return abi.BPF_F_NO_PREALLOC | abi.BPF_F_NUMA_NODE | abi.BPF_F_ZERO_SEED;
    case MapType.LruHash:
    case MapType.LruPerCpuHash:
      return abi.BPF_F_NO_COMMON_LRU | abi.BPF_F_NUMA_NODE | abi.BPF_F_ZERO_SEED;
    case MapType.LpmTrie:
      return abi.BPF_F_NO_PREALLOC | abi.BPF_F_NUMA_NODE;
    default:
      return abi.BPF_F_NUMA_NODE;
  }
}

class SpecChecker {
  constructor(private readonly spec: MapSpec, private readonly typeName: string) {}

  fail(what: string, errno = abi.EINVAL): never {
    throw new BpfError(
      `map '${this.spec.name}' (${this.typeName}): ${what} (the kernel refuses it with -${errnoName(errno)})`,
    );
  }

  integer(field: "keySize" | "valueSize" | "maxEntries" | "flags", value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
      this.fail(`${field} must be an integer from 0 to ${U32_MAX}, got ${value}`);
    }
  }

  range(field: string, value: number, min: number, max: number, tooBig = abi.EINVAL): void {
    if (value < min) this.fail(`${field} ${value} is too small: must be ${min}..${max}`);
    if (value > max) this.fail(`${field} ${value} is too large: must be ${min}..${max}`, tooBig);
  }

  exactly(field: string, value: number, want: number): void {
    if (value !== want) this.fail(`${field} must be ${want}, got ${value}`);
  }
}

export function checkSpec(spec: MapSpec): CheckedSpec {
  if (typeof spec.name !== "string" || spec.name.length === 0) {
    throw new BpfError(`a map needs a name (got ${JSON.stringify(spec.name)})`);
  }
  const type = parseMapType(spec.type);
  if (type === undefined) {
    throw new BpfError(`map '${spec.name}': unknown or unsupported map type ${JSON.stringify(spec.type)}`);
  }
  const c = new SpecChecker(spec, mapTypeName(type));
  const flags = spec.flags ?? 0;
  c.integer("keySize", spec.keySize);
  c.integer("valueSize", spec.valueSize);
  c.integer("maxEntries", spec.maxEntries);
  c.integer("flags", flags);
  const unknown = flags & ~allowedFlags(type);
  if (unknown) c.fail(`map_flags 0x${(unknown >>> 0).toString(16)} not supported for this map type`);
  const { keySize, valueSize, maxEntries } = spec;
  if (maxEntries === 0) c.fail("max_entries must not be 0");
  if (isPerCpu(type)) c.range("value_size", valueSize, 1, MAX_PERCPU_VALUE, abi.E2BIG);

  if (type === MapType.Array || type === MapType.PerCpuArray) {
    c.exactly("key_size", keySize, 4);
    c.range("value_size", valueSize, 1, MAX_VALUE, abi.E2BIG);
  } else if (type === MapType.ProgArray || type === MapType.PerfEventArray) {
    c.exactly("key_size", keySize, 4);
    c.exactly("value_size", valueSize, 4);
  } else if (type === MapType.DevMap || type === MapType.DevMapHash) {
    // dev_map_alloc_check: a u32 key and a u32 ifindex or a struct bpf_devmap_val (8 bytes).
    c.exactly("key_size", keySize, 4);
    if (valueSize !== 4 && valueSize !== 8) c.fail(`value_size must be 4 (ifindex) or 8 (struct bpf_devmap_val), got ${valueSize}`);
  } else if (isHash(type)) {
    c.range("key_size", keySize, 1, MAX_HASH_KEY, abi.E2BIG);
    c.range("value_size", valueSize, 1, MAX_VALUE, abi.E2BIG);
  } else if (type === MapType.LpmTrie) {
    c.range("key_size", keySize, LPM_KEY_MIN, LPM_KEY_MAX);
    c.range("value_size", valueSize, 1, MAX_VALUE);
    if (!(flags & abi.BPF_F_NO_PREALLOC)) c.fail("an LPM trie needs map_flags BPF_F_NO_PREALLOC");
  } else if (type === MapType.Queue || type === MapType.Stack) {
    c.exactly("key_size", keySize, 0);
    c.range("value_size", valueSize, 1, MAX_VALUE, abi.E2BIG);
  } else if (type === MapType.RingBuf) {
    c.exactly("key_size", keySize, 0);
    c.exactly("value_size", valueSize, 0);
    const pow2 = (maxEntries & (maxEntries - 1)) === 0;
    if (!pow2 || maxEntries % abi.RINGBUF_PAGE !== 0) {
      c.fail(`max_entries ${maxEntries} must be a power of 2 and a multiple of ${abi.RINGBUF_PAGE} (the ring's size in bytes)`);
    }
  }
  return { name: spec.name, type, keySize, valueSize, maxEntries, flags };
}
