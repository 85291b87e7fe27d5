# skb_under_cgroup wants a CGROUP_ARRAY, not an ARRAY
# type: sched_cls
# map: values array key=4 value=4 entries=4
# expect: cannot pass map_type 2 into func bpf_skb_under_cgroup#33
# kernel: reject
mov %r3, 0
lddw %r2, map_fd 0
call 33
mov %r0, 0
exit
