# bpf_loop(2): each iteration writes 42 to one of three slots, so after two both checked slots may hold 42 and the division by zero is reachable; a state that had run more iterations must not cover one that may still run another (func_states_equal: callback_depth)
# type: sched_cls
# expect: div by zero
# kernel: reject
stdw [%r10-8], 7
stdw [%r10-16], 7
stdw [%r10-24], 7
mov %r3, %r10
add %r3, -24
mov32 %r1, 2
lddw %r2, func step
mov %r4, 0
call 181
ldxdw %r1, [%r10-24]
jne %r1, 42, out
ldxdw %r1, [%r10-16]
jne %r1, 42, out
ldxdw %r1, [%r10-8]
jne %r1, 7, out
div %r1, 0
out:
mov32 %r0, 0
exit
step:
mov %r9, %r2
call 7
mov %r1, %r0
mov %r2, 42
mov %r0, 0
jeq %r1, 1, first
jeq %r1, 2, second
stxdw [%r9+16], %r2
exit
first:
stxdw [%r9+0], %r2
exit
second:
stxdw [%r9+8], %r2
exit
