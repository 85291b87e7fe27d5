# cgroup_skb may not update a socket map (may_update_sockmap: its socket may be locked)
# type: cgroup_skb
# map: socks sockmap key=4 value=4 entries=4
# expect: cannot pass map_type 15 into func bpf_map_update_elem#2
# kernel: reject
# kernel-says: cannot update sockmap in this context
ldxdw %r3, [%r1+168]
jeq %r3, 0, out
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
mov %r4, 0
call 2
out:
mov %r0, 1
exit
