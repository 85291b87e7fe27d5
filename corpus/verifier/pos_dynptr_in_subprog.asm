# a LOCAL dynptr made in the main program and read through its pointer in a subprogram (6.18: accepted, 27 processed insns)
# expect: accept
# kernel: accept
# type: xdp
# map: vals array key=4 value=64 entries=1
mov %r1, 0
stxw [%r10-4], %r1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -24
call 197
mov %r1, %r10
add %r1, -24
call local sub
out:
mov %r0, 2
exit
sub:
mov %r3, %r1
mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r4, 0
mov %r5, 0
call 201
ldxdw %r0, [%r10-8]
exit
