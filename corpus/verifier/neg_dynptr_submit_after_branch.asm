# a ring buffer dynptr on the path explored first and a LOCAL one on the other, at the same stack slots, both submitted where the paths join: the second must not be pruned into the first (stacksafe compares a dynptr's type)
# type: xdp
# map: vals array key=4 value=64 entries=1
# map: rb ringbuf key=0 value=0 entries=4096
# expect: arg 1 is an unacquired reference
# kernel: reject
mov %r1, 0
stxw [%r10-4], %r1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
jne %r0, 0, local
lddw %r1, map_fd 1
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -24
call 198
ja both
local:
mov %r1, %r6
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -24
call 197
both:
mov %r1, %r10
add %r1, -24
mov %r2, 0
call 199
out:
mov %r0, 2
exit
