# write 8 bytes below the 512-byte frame
# type: xdp
# expect: invalid write to stack R10 off=-520 size=8
# kernel: reject
mov %r1, 0
stxdw [%r10-520], %r1
mov %r0, 0
exit
