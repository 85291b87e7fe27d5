# a 32-bit fetching add on a slot holding a spilled pointer: half a pointer cannot be filled into a register
# type: socket_filter
# expect: invalid size of register fill
# kernel: reject
mov %r0, %r10
stxdw [%r10-8], %r0
mov %r1, 0
lock fetch add32 [%r10-8], %r1
mov %r0, 0
exit
