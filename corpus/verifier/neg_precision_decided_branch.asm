# precision: a branch decided by a constant (r1 > 50 never taken when r1 = 8) hides an unsafe side; the path with r1 = 100 takes it
# type: xdp
# expect: R0 invalid mem access 'scalar'
# kernel: reject
call 7
mov %r6, %r0
and %r6, 1
mov %r7, 0
mov %r8, 0
mov %r9, 0
mov %r1, 100
jeq %r6, 0, join
mov %r1, 8
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
mov %r0, 0
mov %r2, 1
jgt %r1, 50, bad
exit
bad:
ldxdw %r0, [%r0+0]
exit
