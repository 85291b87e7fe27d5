# stack pointer plus an unbounded scalar
# type: xdp
# expect: value -2147483648 makes fp pointer be out of bounds
# kernel: reject
call 7
mov %r1, %r10
lsh %r0, 32
arsh %r0, 32
add %r1, %r0
mov %r0, 0
exit
