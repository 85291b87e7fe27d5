# dividing by a pointer
# type: xdp
# expect: R0 pointer arithmetic with /= operator prohibited
# kernel: reject
mov %r0, 1
div %r0, %r10
mov %r0, 0
exit
