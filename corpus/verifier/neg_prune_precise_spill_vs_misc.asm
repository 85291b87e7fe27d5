# pruning: a spilled 64-bit scalar the path after the join relied on (an offset into a map value) is not within a slot of unknown bytes
# type: xdp
# map: vals array key=4 value=8 entries=1
# expect: math between map_value pointer and register with unbounded min value is not allowed
# kernel: reject
stw [%r10-20], 0
mov %r2, %r10
add %r2, -20
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r7, %r0
call 7
mov %r6, %r0
call 7
mov %r8, %r0
jeq %r6, 0, other
mov %r1, 0
stxdw [%r10-8], %r1
jeq %r6, 5, join
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
stxb [%r10-8], %r8
stxb [%r10-7], %r8
stxh [%r10-6], %r8
stxw [%r10-4], %r8
join:
ldxdw %r1, [%r10-8]
add %r7, %r1
ldxb %r0, [%r7+0]
out:
mov %r0, 2
exit
