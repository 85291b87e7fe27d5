# a copy of a register linked with an offset starts a new link (assign_scalar_id_before_mov):
# r1 = r0 + 1, then r2 = r1 + 1; bounding r1 bounds r2, so r2 indexes a 10-byte value safely
# type: xdp
# map: buf array key=4 value=10 entries=1
# expect: accept
# kernel: accept
call 5
jgt %r0, 8, out
mov %r1, %r0
add %r1, 1
mov %r2, %r1
add %r2, 1
jgt %r1, 8, out
lddw %r3, map_value 0, 0
add %r3, %r2
stb [%r3+0], 0
out:
mov %r0, 2
exit
