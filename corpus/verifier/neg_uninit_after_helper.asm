# r1-r5 are clobbered by a helper call
# type: xdp
# expect: R1 !read_ok
# kernel: reject
call 5
mov %r0, %r1
exit
