# a CGROUP_ARRAY is only for its two helpers: map_lookup_elem may not read its slots
# type: sched_cls
# map: cgroups cgroup_array key=4 value=4 entries=4
# expect: cannot pass map_type 8 into func bpf_map_lookup_elem#1
# kernel: reject
mov %r2, 0
stxw [%r10-4], %r2
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
