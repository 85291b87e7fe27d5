# after the fetching add the slot's value is unknown: a load of it decides nothing, and the loop on it repeats a state
# type: socket_filter
# expect: infinite loop detected
# kernel: reject
mov %r0, 0
stxdw [%r10-8], %r0
mov %r1, 1
lock fetch add [%r10-8], %r1
ldxdw %r2, [%r10-8]
jne %r2, 0, -1
exit
