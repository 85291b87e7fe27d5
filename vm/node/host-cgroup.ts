// The cgroup this process is in, as a CgroupModel (vm/helpers/packet/skb-cgroup.ts): what the
// kernel's skb_cgroup_id / get_cgroup_classid answer for a BPF_PROG_TEST_RUN from this process,
// so that a machine comparing itself with the kernel can be configured with the real values.
//
//   path     /proc/self/cgroup's "0::/a/b" line (the default hierarchy) and the cgroup2 mount of
//            /proc/self/mountinfo: cgroup_id of each level is the inode number of its directory
//            (kernfs node id; the root is 1)
//   classid  the net_cls hierarchy's line (cgroup v1) and its mount: net_cls.classid of the
//            process's directory; 0 when net_cls is not mounted (every task is then in the root
//            net_cls css, whose classid is 0)

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BpfError } from "../errors.js";
import type { CgroupModel } from "../helpers/packet/skb-cgroup.js";

interface Mount {
  readonly root: string;
  readonly point: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

/** /proc/self/mountinfo: "id parent major:minor root point opts ... - fstype source superopts". */
function mounts(): Mount[] {
  return readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n").map((line) => {
    const [left, right] = line.split(" - ");
    const f = left!.split(" ");
    const r = right!.split(" ");
    return { root: unescape(f[3]!), point: unescape(f[4]!), fstype: r[0]!, options: (r[2] ?? "").split(",") };
  });
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The directory of `path` (a cgroup path from /proc/self/cgroup) under `mount`. */
function directory(mount: Mount, path: string): string {
  const root = mount.root === "/" ? "" : mount.root;
  if (root && path !== root && !path.startsWith(`${root}/`)) throw new BpfError(`cgroup ${path} is not under the ${mount.fstype} mount at ${mount.point} (root ${mount.root})`);
  return `${mount.point}${path.slice(root.length)}`.replace(/\/$/, "") || "/";
}

/** /proc/self/cgroup: each hierarchy's controllers and this process's path in it. */
function ownCgroups(): Array<{ controllers: string[]; path: string }> {
  return readFileSync("/proc/self/cgroup", "utf8").trim().split("\n").map((l) => {
    const [, , controllers, path] = /^(\d+):([^:]*):(.*)$/.exec(l) ?? [];
    return { controllers: (controllers ?? "").split(","), path: path ?? "" };
  });
}

/**
 * The cgroup v2 directories from the root cgroup down to this process's (Linux only; a BpfError
 * naming what is missing otherwise): the cgroups whose ids hostCgroup's path holds, and what a
 * CGROUP_ARRAY slot of the kernel is given (an fd of one of them).
 */
export function hostCgroupDirectories(): string[] {
  const v2 = ownCgroups().find((l) => l.controllers.length === 1 && l.controllers[0] === "");
  const cg2 = mounts().find((m) => m.fstype === "cgroup2");
  if (!v2 || !cg2) throw new BpfError("no cgroup v2 hierarchy: /proc/self/cgroup has no 0:: line or cgroup2 is not mounted");
  const parts = v2.path.split("/").filter(Boolean);
  const dirs = [0, ...parts.map((_, i) => i + 1)].map((n) => directory(cg2, `/${parts.slice(0, n).join("/")}`));
  // A cgroup2 mount of a sub-tree (a cgroup namespace) does not show the levels above it.
  const root = cgroupId(dirs[0]!);
  if (root !== 1) throw new BpfError(`the cgroup2 mount at ${cg2.point} does not start at the root cgroup (inode ${root})`);
  return dirs;
}

/** A cgroup v2 directory's cgroup_id: its inode number (the kernfs node id). */
export const cgroupId = (dir: string): number => Number(statSync(dir, { bigint: true }).ino);

/**
 * The cgroup v2 directory whose cgroup_id is `id`, searched from the root cgroup down (breadth
 * first), or undefined: what the kernel engine opens for a CGROUP_ARRAY slot given as an id.
 */
export function cgroupDirectoryById(id: number): string | undefined {
  const queue = [hostCgroupDirectories()[0]!];
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    if (cgroupId(dir) === id) return dir;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) queue.push(join(dir, e.name));
  }
  return undefined;
}

/** Read this process's cgroup (Linux only; a BpfError naming what is missing otherwise). */
export function hostCgroup(): CgroupModel {
  const path = hostCgroupDirectories().map(cgroupId);
  const netCls = ownCgroups().find((l) => l.controllers.includes("net_cls"));
  const clsMount = mounts().find((m) => m.fstype === "cgroup" && m.options.includes("net_cls"));
  const classid = netCls && clsMount ? Number(readFileSync(`${directory(clsMount, netCls.path)}/net_cls.classid`, "utf8").trim()) : 0;
  return { path, classid };
}
