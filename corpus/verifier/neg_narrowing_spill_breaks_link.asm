# a 64-bit value spilled with a 4-byte store keeps no link to its register (the value does not fit): a bound on the fill says nothing about r0
# type: xdp
# expect: R9 !read_ok
# kernel: reject
call 7
lsh %r0, 8
stxw [%r10-8], %r0
ldxw %r1, [%r10-8]
jne %r1, 0, out
jeq %r0, 0, out
ldxdw %r0, [%r9+0]
out:
mov %r0, 0
exit
