# a subprogram that returns without setting r0 (a C void function), whose caller never reads r0
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
call local f
ldxdw %r0, [%r10-8]
and %r0, 2
exit
f:
stdw [%r1], 0x2a
exit
