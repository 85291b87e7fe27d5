# a jump past the end
# type: xdp
# expect: jump out of range
# kernel: reject
mov %r0, 0
jeq %r0, 0, +5
exit
