# a jump into the second slot of lddw
# type: xdp
# expect: into the middle of ldimm64
# kernel: reject
mov %r0, 0
jeq %r0, 1, +1
lddw %r1, 0x1122334455667788
exit
