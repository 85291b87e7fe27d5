# a signed range crossing zero cut by an unsigned one that meets only its non-negative side (__reg64_deduce_bounds)
# type: socket_filter
# expect: accept
# kernel: accept
call 7
movsx864 %r0, %r0
lddw %r1, 0xffffffffffffff00
jgt %r0, %r1, out
jlt %r0, 128, out
mov %r10, 0
out:
mov %r0, 0
exit
