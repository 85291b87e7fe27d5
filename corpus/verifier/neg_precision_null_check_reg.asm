# precision: `if r0 == r1` is a null check only while r1 is 0; on the other path r1 = 1 and r0 may still be null
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R0 invalid mem access 'map_value_or_null'
# kernel: reject
call 7
mov %r6, %r0
and %r6, 1
mov %r7, 0
mov %r8, 0
mov %r9, 1
jeq %r6, 0, join
mov %r9, 0
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
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, %r9, out
ldxdw %r0, [%r0+0]
exit
out:
mov %r0, 0
exit
