# a spilled pointer partly overwritten is no longer a pointer
# type: xdp
# expect: R1 invalid mem access 'scalar'
# kernel: reject
stxdw [%r10-8], %r1
stb [%r10-8], 0
ldxdw %r1, [%r10-8]
ldxw %r0, [%r1+0]
exit
