# a checked packet pointer keeps its range across the stack
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, drop
stxdw [%r10-16], %r2
mov %r2, 0
ldxdw %r2, [%r10-16]
ldxh %r0, [%r2+12]
exit
drop:
mov %r0, 1
exit
