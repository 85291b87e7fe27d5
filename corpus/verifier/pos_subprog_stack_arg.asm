# a callee writes through a pointer to the caller's stack
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
call local fill
ldxdw %r0, [%r10-8]
exit
fill:
stdw [%r1+0], 42
mov %r0, 0
exit
