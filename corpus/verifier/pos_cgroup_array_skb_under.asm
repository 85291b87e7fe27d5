# skb_under_cgroup on a CGROUP_ARRAY from tc: the skb, the map, an index (any value: the helper checks it)
# type: sched_cls
# map: cgroups cgroup_array key=4 value=4 entries=4
# expect: accept
# kernel: accept
ldxw %r3, [%r1+0]
lddw %r2, map_fd 0
call 33
mov %r0, 0
exit
