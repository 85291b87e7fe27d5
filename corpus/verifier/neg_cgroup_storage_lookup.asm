# map_lookup_elem on a CGROUP_STORAGE map: only get_local_storage may take one
# type: cgroup_skb
# map: a cgroup_storage key=16 value=8 entries=0
# expect: cannot pass map_type 19 into func bpf_map_lookup_elem#1
# kernel: reject
mov %r2, %r10
add %r2, -16
stdw [%r10-16], 0
stdw [%r10-8], 0
lddw %r1, map_fd 0
call 1
mov %r0, 1
exit
