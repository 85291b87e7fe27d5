# stack liveness: the store after the join writes another slot on the first path, the filled slot on the next, so it does not surely write it (must_write is an intersection, not the last write)
# type: xdp
# expect: R1 invalid mem access 'scalar'
# kernel: reject
mov %r6, %r1
call 7
mov %r7, %r0
and %r7, 3
mov %r2, %r10
add %r2, -16
stxdw [%r10-8], %r6
jeq %r7, 0, p2
jeq %r7, 1, p1
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
mov %r3, 4
mov %r3, 5
ja join
p1:
mov %r2, %r10
add %r2, -8
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
mov %r3, 4
mov %r3, 5
mov %r3, 6
mov %r3, 7
jeq %r3, 9, join
ja join
p2:
mov %r1, 0
stxdw [%r10-8], %r1
join:
stxdw [%r2+0], %r6
ldxdw %r1, [%r10-8]
ldxw %r0, [%r1+0]
mov %r0, 2
exit
