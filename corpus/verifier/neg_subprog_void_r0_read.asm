# the caller reads r0 after a subprogram that never set it
# type: xdp
# expect: R0 !read_ok
# kernel: reject
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
call local f
exit
f:
stdw [%r1], 0x2a
exit
