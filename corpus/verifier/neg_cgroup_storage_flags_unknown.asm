# get_local_storage with flags from the packet's length: not known to be 0
# type: cgroup_skb
# map: shared cgroup_storage key=16 value=8 entries=0
# expect: get_local_storage() doesn't support non-zero flags
# kernel: reject
ldxw %r2, [%r1+0]
and %r2, 1
lddw %r1, map_fd 0
call 81
mov %r0, 1
exit
