# an instruction reading the bytes of a dynptr: its state is opaque (STACK_DYNPTR is no readable slot type)
# type: xdp
# map: vals array key=4 value=64 entries=1
# expect: invalid read from stack off -24+0 size 8
# kernel: reject
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
ldxdw %r0, [%r10-24]
out:
mov %r0, 2
exit
