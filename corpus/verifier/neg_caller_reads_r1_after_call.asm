# r1-r5 do not survive a call
# type: xdp
# expect: R1 !read_ok
# kernel: reject
mov %r1, 1
call local f
mov %r0, %r1
exit
f:
mov %r0, 0
exit
