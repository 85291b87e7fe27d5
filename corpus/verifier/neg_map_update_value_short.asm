# a 16-byte value read from an 8-byte stack area
# type: xdp
# map: big hash key=4 value=16 entries=16
# expect: invalid read from stack R3 off=-8 size=16
# kernel: reject
stw [%r10-12], 0
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -12
mov %r3, %r10
add %r3, -8
lddw %r1, map_fd 0
mov %r4, 0
call 2
mov %r0, 0
exit
