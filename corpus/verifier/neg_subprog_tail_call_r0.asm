# a subprogram returns 0, but when its tail call is taken the target's r0 comes back to the
# caller instead, which dereferences it unless it is 0
# type: xdp
# map: jt prog_array key=4 value=4 entries=4
# expect: R0 invalid mem access 'scalar'
# kernel: reject (loaded with func_info BTF, as the kernel bridge sends for subprograms: without it the kernel says "tail_call is not allowed in subprogs without BTF")
mov %r6, %r1
call local f
jeq %r0, 0, ok
ldxdw %r0, [%r0+0]
ok:
mov %r0, 2
exit
f:
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit
