# 4-byte store at fp-6
# type: xdp
# expect: misaligned stack access off 0+0+-6 size 4
# kernel: reject
mov %r1, 0
stxw [%r10-6], %r1
mov %r0, 0
exit
