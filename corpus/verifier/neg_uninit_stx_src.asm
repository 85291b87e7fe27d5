# storing a register that was never written
# type: xdp
# expect: R3 !read_ok
# kernel: reject
stxdw [%r10-8], %r3
mov %r0, 0
exit
