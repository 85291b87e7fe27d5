# division by the constant 0
# type: xdp
# expect: div by zero
# kernel: reject
mov %r0, 1
div %r0, 0
exit
