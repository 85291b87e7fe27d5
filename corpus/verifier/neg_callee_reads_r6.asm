# r6 is not passed to the callee
# type: xdp
# expect: R6 !read_ok
# kernel: reject
mov %r6, 1
call local f
exit
f:
mov %r0, %r6
exit
