# stack liveness: a bpf_loop callback fills its caller's slot (callback_ctx) after the join: the helper call must count as a read of it
# type: xdp
# expect: R3 invalid mem access 'scalar'
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
mov %r3, %r10
add %r3, -8
mov %r1, 4
lddw %r2, func step
mov %r4, 0
call 181
mov %r0, 2
exit
step:
ldxdw %r3, [%r2+0]
ldxw %r0, [%r3+0]
mov %r0, 0
exit
