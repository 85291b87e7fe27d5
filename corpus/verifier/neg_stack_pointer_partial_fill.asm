# 4 bytes of a spilled pointer read back (check_stack_read_fixed_off)
# type: xdp
# expect: invalid size of register fill
# kernel: reject
stxdw [%r10-16], %r1
ldxw %r0, [%r10-12]
mov %r0, 2
exit
