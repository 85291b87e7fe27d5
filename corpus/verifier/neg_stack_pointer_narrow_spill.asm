# a 4-byte store of a pointer to the stack (a pointer is spilled whole or not at all)
# type: xdp
# expect: invalid size of register spill
# kernel: reject
stxw [%r10-8], %r1
mov %r0, 2
exit
