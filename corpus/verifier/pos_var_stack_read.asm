# variable-offset read inside an initialised stack buffer
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 1
stdw [%r10-16], 2
call 7
and %r0, 8
mov %r1, %r10
add %r1, -16
add %r1, %r0
ldxdw %r0, [%r1+0]
exit
