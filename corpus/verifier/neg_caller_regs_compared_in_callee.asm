# the caller's r6 is a pointer on one path and a number on the other; a checkpoint inside the
# callee must not let the second path through (it dereferences r6 after the call)
# type: xdp
# expect: R6 invalid mem access 'scalar'
# kernel: reject
ldxw %r2, [%r1+0]
mov %r6, 0
jne %r2, 0, +1
mov %r6, %r10
call local f
stdw [%r6-8], 0
mov %r0, 0
exit
f:
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
jeq %r3, 7, +0
jeq %r3, 7, +0
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
mov %r3, 1
jeq %r3, 7, +0
jeq %r3, 7, +0
mov %r0, 0
exit
