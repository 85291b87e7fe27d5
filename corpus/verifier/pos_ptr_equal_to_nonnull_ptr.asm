# a value-or-null pointer found equal to a pointer known not to be null is not null on that side (check_cond_jmp_op: pointers compared, one of them may be null)
# type: xdp
# map: arr array key=4 value=8 entries=4
# map: h hash key=4 value=8 entries=4
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 1
call 1
jne %r0, %r6, out
ldxdw %r0, [%r0+0]
out:
mov %r0, 2
exit
