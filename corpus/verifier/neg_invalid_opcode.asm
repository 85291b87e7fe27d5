# an opcode that does not exist
# type: xdp
# expect: unknown opcode 0xff
# kernel: reject
# kernel-says: unknown opcode ff
.insn 0xff, 0, 0, 0, 0
mov %r0, 0
exit
