# a function returning its stack address
# type: xdp
# expect: cannot return stack pointer to the caller
# kernel: reject
call local f
mov %r0, 0
exit
f:
mov %r0, %r10
exit
