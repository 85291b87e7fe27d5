# subtracting from a stack pointer
# type: xdp
# expect: R1 subtraction from stack pointer prohibited
# kernel: reject
mov %r1, %r10
sub %r1, 8
mov %r0, 0
exit
