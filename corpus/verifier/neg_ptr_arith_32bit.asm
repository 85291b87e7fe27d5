# 32-bit arithmetic on a pointer
# type: xdp
# expect: R1 32-bit pointer arithmetic prohibited
# kernel: reject
mov %r1, %r10
add32 %r1, -8
mov %r0, 0
exit
