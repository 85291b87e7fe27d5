# precision: an array lookup whose constant key (0 < entries) makes the value non-null; after the join the other path's key is 5 (out of range: may be null)
# type: xdp
# map: vals array key=4 value=16 entries=2
# expect: R0 invalid mem access 'map_value_or_null'
# kernel: reject
call 7
mov %r6, %r0
and %r6, 1
mov %r7, 0
mov %r8, 0
mov %r1, 5
stxdw [%r10-8], %r1
jeq %r6, 0, join
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
join:
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
ldxb %r0, [%r0+0]
exit
