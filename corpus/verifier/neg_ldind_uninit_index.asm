# LD_IND with an unset index register
# type: socket_filter
# expect: R2 !read_ok
# kernel: reject
mov %r6, %r1
ldindb %r2, 0
exit
