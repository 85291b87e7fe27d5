# cmpxchg compares with r0, which was never written
# type: xdp
# expect: R0 !read_ok
# kernel: reject
stdw [%r10-8], 0
mov %r1, 1
lock cmpxchg [%r10-8], %r1
exit
