# get_local_storage on a CGROUP_STORAGE and a PERCPU_CGROUP_STORAGE map: a value pointer that is never null, read and written up to value_size
# type: cgroup_skb
# map: shared cgroup_storage key=16 value=16 entries=0
# map: percpu percpu_cgroup_storage key=16 value=8 entries=0
# expect: accept
# kernel: accept
lddw %r1, map_fd 0
mov %r2, 0
call 81
mov %r6, %r0
ldxdw %r1, [%r6+8]
add %r1, 1
stxdw [%r6+8], %r1
lddw %r1, map_fd 1
mov %r2, 0
call 81
ldxdw %r1, [%r0+0]
ldxdw %r2, [%r6+0]
add %r1, %r2
stxdw [%r0+0], %r1
mov %r0, 1
exit
