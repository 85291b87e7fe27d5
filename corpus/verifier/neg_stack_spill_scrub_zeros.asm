# a write into a slot holding a narrow spill makes every byte of it unknown, the zeros stored beside the spill too (scrub_spilled_slot): the loaded offset is unbounded
# type: xdp
# map: vals array key=4 value=8 entries=1
# expect: R0 unbounded memory access, make sure to bounds check any such access
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 0
stxw [%r10-12], %r1
mov %r1, 5
stxw [%r10-16], %r1
stb [%r10-15], 1
ldxw %r1, [%r10-12]
add %r0, %r1
ldxb %r0, [%r0+0]
out:
mov %r0, 2
exit
