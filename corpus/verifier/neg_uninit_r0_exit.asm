# exit without a return value
# type: xdp
# expect: R0 !read_ok
# kernel: reject
mov %r1, 0
exit
