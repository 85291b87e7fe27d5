# r2 was never written
# type: xdp
# expect: R2 !read_ok
# kernel: reject
mov %r0, %r2
exit
