# stack liveness: a callee fills a caller's slot through a pointer after the join: its read must make the slot live at the caller's checkpoint
# type: xdp
# expect: R1 invalid mem access 'scalar'
# kernel: reject
mov %r6, %r1
call 7
mov %r7, %r0
and %r7, 1
jeq %r7, 0, other
stxdw [%r10-8], %r6
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
mov %r1, 0
stxdw [%r10-8], %r1
join:
mov %r1, %r10
add %r1, -8
call local deref
mov %r0, 2
exit
deref:
mov %r2, %r1
call local deref2
exit
deref2:
ldxdw %r1, [%r2+0]
ldxw %r0, [%r1+0]
mov %r0, 0
exit
