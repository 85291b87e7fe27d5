# two CGROUP_STORAGE maps in one program, the second on a path never taken: a run has one storage of each type, checked for every ld_imm64 before any path is
# type: cgroup_skb
# map: a cgroup_storage key=16 value=8 entries=0
# map: b cgroup_storage key=8 value=8 entries=0
# expect: only one cgroup storage of each type is allowed
# kernel: reject
mov %r6, 0
lddw %r1, map_fd 0
mov %r2, 0
call 81
jeq %r6, 0, out
lddw %r1, map_fd 1
mov %r2, 0
call 81
out:
mov %r0, 1
exit
