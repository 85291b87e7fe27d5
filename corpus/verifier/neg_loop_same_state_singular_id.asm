# a loop that comes back to its head in the same state, while a register holds a scalar id no other register shares
# type: xdp
# expect: infinite loop detected at insn 10
# kernel: reject
call 7
mov %r8, %r0
call 7
jgt %r0, 100, +1
mov %r1, 0
jgt %r8, 100, +1
mov %r1, 0
mov %r7, 0
mov %r6, 0
mov %r9, 0
mov %r2, 0
jeq %r0, 5, -2
mov %r0, %r8
and %r0, 1
exit
