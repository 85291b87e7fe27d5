# an 8-byte key at fp-4 runs past the frame
# type: xdp
# map: wide hash key=8 value=8 entries=16
# expect: invalid read from stack R2 off=-4 size=8
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
