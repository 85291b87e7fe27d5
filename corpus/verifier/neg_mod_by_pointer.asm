# modulo by a pointer
# type: xdp
# expect: R0 pointer arithmetic with %= operator prohibited
# kernel: reject
mov %r0, 100
mod %r0, %r1
mov %r0, 0
exit
