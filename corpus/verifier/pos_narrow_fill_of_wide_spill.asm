# a 4-byte fill at the start of a spilled 64-bit scalar is its low half (coerce_reg_to_size): after `r0 <<= 32` that is 0, so the branch to the uninitialised r9 is dead
# type: xdp
# expect: accept
# kernel: accept
call 7
lsh %r0, 32
stxdw [%r10-8], %r0
ldxw %r0, [%r10-8]
jeq %r0, 0, out
ldxdw %r0, [%r9+0]
out:
exit
