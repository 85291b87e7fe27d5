# a callee leaves its own stack address in the caller's frame
# type: xdp
# expect: cannot spill pointers to stack into stack frame of the caller
# kernel: reject
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
call local f
mov %r0, 0
exit
f:
mov %r2, %r10
add %r2, -16
stxdw [%r1+0], %r2
mov %r0, 0
exit
