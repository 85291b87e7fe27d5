# a 32-bit value spilled with a 4-byte store and filled back stays linked to its register: the fill proven 0 makes the register 0, so the branch to the uninitialised r9 is dead (check_stack_write_fixed_off: assign_scalar_id_before_mov)
# type: xdp
# expect: accept
# kernel: accept
call 7
and32 %r0, 0x80000000
stxw [%r10-8], %r0
ldxw %r1, [%r10-8]
mov %r2, 0
jne %r1, %r2, out
jeq %r0, %r2, out
ldxdw %r0, [%r9+0]
exit
out:
mov %r0, 0
exit
