# LD_ABS clobbers r1-r5
# type: socket_filter
# expect: R1 !read_ok
# kernel: reject
mov %r6, %r1
ldabsh 12
mov %r0, %r1
exit
