# multiplying a pointer
# type: xdp
# expect: R1 pointer arithmetic with *= operator prohibited
# kernel: reject
mov %r1, %r10
mul %r1, 2
mov %r0, 0
exit
