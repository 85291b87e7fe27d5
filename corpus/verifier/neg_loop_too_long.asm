# a loop of 2^20 iterations exceeds the 1,000,000-instruction limit
# type: xdp
# expect: BPF program is too large
# kernel: reject
# slow: explores until the complexity limit (1,000,000 instructions)
mov %r1, 0
loop:
add %r1, 1
jlt %r1, 0x100000, loop
mov %r0, 0
exit
