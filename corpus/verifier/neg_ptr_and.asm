# masking a pointer
# type: xdp
# expect: R1 bitwise operator &= on pointer prohibited
# kernel: reject
mov %r1, %r10
and %r1, -8
mov %r0, 0
exit
