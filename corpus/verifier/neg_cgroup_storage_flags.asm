# get_local_storage with flags 1: it cannot return an error, so the flags must be 0
# type: cgroup_skb
# map: shared cgroup_storage key=16 value=8 entries=0
# expect: get_local_storage() doesn't support non-zero flags
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 1
call 81
mov %r0, 1
exit
