# LD_ABS outside the packet returns 0 from the subprogram it is in, so its caller also goes on with r0 = 0 there, where r9 was never written
# type: socket_filter
# expect: R9 !read_ok
# kernel: reject
call local sub
jne %r0, 0, out
mov %r0, %r9
out:
mov %r0, 0
exit
sub:
mov %r6, %r1
ldabsw 0
mov %r0, 1
exit
