# nor may a program write a slot with map_update_elem (a slot holds a cgroup)
# type: sched_cls
# map: cgroups cgroup_array key=4 value=4 entries=4
# expect: cannot pass map_type 8 into func bpf_map_update_elem#2
# kernel: reject
mov %r2, 0
stxw [%r10-4], %r2
stxw [%r10-8], %r2
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -8
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit
