# tc may put the skb's socket in a socket map (may_update_sockmap)
# type: sched_cls
# map: socks sockmap key=4 value=4 entries=4
# expect: accept
# kernel: accept
ldxdw %r3, [%r1+168]
jeq %r3, 0, out
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
mov %r4, 0
call 2
out:
mov %r0, 0
exit
