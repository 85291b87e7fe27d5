# loop with i <= 8 reads byte 8 of an 8-byte value
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: invalid access to map value, value_size=8 off=8 size=1
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, 0
mov %r7, 0
loop:
mov %r1, %r0
add %r1, %r6
ldxb %r2, [%r1+0]
add %r7, %r2
add %r6, 1
jle %r6, 8, loop
mov %r0, %r7
exit
out:
mov %r0, 0
exit
