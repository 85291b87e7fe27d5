// Map errors. A map operation that the kernel would fail with an errno throws MapError naming
// the map, the operation and the errno; the `try*` methods return the negative errno instead,
// as libbpf's bpf_map_* functions do.

import { BpfError } from "../errors.js";
import * as abi from "./abi.js";

const ERRNO_NAMES: ReadonlyMap<number, string> = new Map([
  [abi.EPERM, "EPERM"],
  [abi.ENOENT, "ENOENT"],
  [abi.E2BIG, "E2BIG"],
  [abi.EBADF, "EBADF"],
  [abi.EAGAIN, "EAGAIN"],
  [abi.ENOMEM, "ENOMEM"],
  [abi.EEXIST, "EEXIST"],
  [abi.ENODEV, "ENODEV"],
  [abi.EINVAL, "EINVAL"],
  [abi.ENOSPC, "ENOSPC"],
  [abi.EOVERFLOW, "EOVERFLOW"],
  [abi.EOPNOTSUPP, "EOPNOTSUPP"],
  [abi.ENOTSUPP, "ENOTSUPP"],
  [abi.EACCES, "EACCES"],
  [abi.EFAULT, "EFAULT"],
]);

const MEANINGS: ReadonlyMap<number, string> = new Map([
  [abi.ENOENT, "no such key"],
  [abi.E2BIG, "the map is full or the index is out of range"],
  [abi.EEXIST, "the key exists (BPF_NOEXIST)"],
  [abi.EINVAL, "invalid argument or flags"],
  [abi.ENOSPC, "the trie is full"],
  [abi.ENOMEM, "no free element"],
  [abi.EBADF, "the fd names no program or map"],
  [abi.ENODEV, "no such CPU (CPUMAP key)"],
  [abi.EOVERFLOW, "queue size too large (CPUMAP qsize > 16384)"],
  [abi.EOPNOTSUPP, "not supported by this map type"],
  [abi.ENOTSUPP, "not supported by this map type"],
]);

/** "ENOENT" for 2 or -2. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

export class MapError extends BpfError {
  /** Negative errno, as the kernel returns it (-ENOENT = -2). */
  readonly errno: number;

  constructor(map: string, op: string, errno: number) {
    const meaning = MEANINGS.get(Math.abs(errno));
    super(`map '${map}': ${op} failed with -${errnoName(errno)}${meaning ? ` (${meaning})` : ""}`);
    this.name = "MapError";
    this.errno = -Math.abs(errno);
  }
}
