# a 32-bit signed range crossing zero cut by an unsigned one that meets only its non-negative side (__reg32_deduce_bounds)
# type: socket_filter
# expect: accept
# kernel: accept
call 7
jgt32 %r0, 0x80000003, out
jslt32 %r0, -3, out
jsgt32 %r0, 5, out
jle32 %r0, 5, out
mov %r10, 0
out:
mov %r0, 0
exit
