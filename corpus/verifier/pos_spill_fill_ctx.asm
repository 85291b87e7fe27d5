# the ctx pointer survives a spill and fill
# type: xdp
# expect: accept
# kernel: accept
stxdw [%r10-8], %r1
mov %r1, 0
ldxdw %r1, [%r10-8]
ldxw %r0, [%r1+12]
exit
