# dead code after exit
# type: xdp
# expect: unreachable insn 2
# kernel: reject
mov %r0, 0
exit
mov %r0, 1
exit
