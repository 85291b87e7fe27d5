# `if r0 != r7` with r0 a known 0 and r7 a lookup's value-or-null proves nothing about r7: only the nullable pointer as the jump's first operand is null-checked (check_cond_jmp_op: type_may_be_null(dst_reg))
# type: xdp
# map: arr hash key=4 value=8 entries=4
# expect: R7 invalid mem access 'map_value_or_null'
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r7, %r0
mov %r0, 0
jne %r0, %r7, deref
exit
deref:
ldxdw %r0, [%r7+0]
mov %r0, 2
exit
