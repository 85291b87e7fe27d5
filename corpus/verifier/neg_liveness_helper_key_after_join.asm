# stack liveness: a map key the helper reads after the join is in range on the side explored first, out of range on the other
# type: xdp
# map: arr array key=4 value=8 entries=2
# expect: R0 invalid mem access 'map_value_or_null'
# kernel: reject
call 7
mov %r7, %r0
and %r7, 1
jeq %r7, 0, other
stw [%r10-8], 1
jeq %r7, 5, join
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
mov %r3, 4
mov %r3, 5
mov %r3, 6
mov %r3, 7
ja join
other:
stw [%r10-8], 2
join:
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
ldxdw %r0, [%r0+0]
exit
